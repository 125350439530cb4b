import { broadcastRate } from '../../broadcast/channels.js';
import { composeBroadcast } from '../../broadcast/message.js';
import type { DeliveryOutcome } from '../../broadcast/store.js';
import type { BroadcastSender } from '../../broadcast/worker.js';
import type { App } from '../../runtime/app.js';
import { type CloudChannel, WHATSAPP_CLOUD_CHANNEL } from './channel.js';
import type { Outcome } from './transport.js';

/** The template of data/templates.yaml that tells a subscriber outside the 24-hour window there is news. */
export const BROADCAST_TEMPLATE = 'update';

/**
 * Broadcasts through the Cloud API. Within 24 hours of the person's last message the text goes
 * as it is; outside them WhatsApp delivers only approved templates, so the subscriber gets the
 * "update" template in their language, naming the topic.
 */
export function cloudBroadcastSender(cloud: CloudChannel, app: App): BroadcastSender {
  return {
    channel: WHATSAPP_CLOUD_CHANNEL,
    rate: broadcastRate(app.config, WHATSAPP_CLOUD_CHANNEL),
    async send({ address, lang, broadcast }): Promise<DeliveryOutcome> {
      const text = composeBroadcast(broadcast, lang, app.bot.current.ctx.t);
      // Not held when the window is closed: the "update" template goes instead, once.
      const outcomes = await cloud.sendFreeForm(
        address,
        [{ text, options: [], flow: null, step: null }],
        lang,
        false,
      );
      if (outcomes.every((o) => o.status === 'sent')) return 'sent';
      if (
        !outcomes.some((o) => o.status === 'held' && (o.reason === 'window' || o.reason === 'reengagement'))
      )
        return outcome(outcomes);
      const topic =
        app.bot.current.ctx.topics.find((t) => t.id === broadcast.topic)?.name[lang] ?? broadcast.topic;
      try {
        return outcome([await cloud.sendTemplate(address, BROADCAST_TEMPLATE, lang, { topic })]);
      } catch (e) {
        app.log.warn(
          { code: 'broadcast.template', err: e instanceof Error ? e.message : String(e) },
          'whatsapp-cloud: the "update" template could not be sent; check data/templates.yaml',
        );
        return 'failed';
      }
    },
  };
}

function outcome(outcomes: readonly Outcome[]): DeliveryOutcome {
  return outcomes.every((o) => o.status === 'sent') ? 'sent' : 'failed';
}
