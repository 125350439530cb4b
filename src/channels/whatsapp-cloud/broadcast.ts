import { broadcastRate } from '../../broadcast/channels.js';
import type { OutboxBroadcast } from '../../broadcast/feeder.js';
import { composeBroadcast } from '../../broadcast/message.js';
import type { App } from '../../runtime/app.js';
import { type CloudChannel, WHATSAPP_CLOUD_CHANNEL } from './channel.js';
import { buildTemplateMessage, type TemplateMessage } from './templates.js';
import type { CloudOutgoing } from './transport.js';

/** The template of data/templates.yaml that tells a subscriber outside the 24-hour window there is news. */
export const BROADCAST_TEMPLATE = 'update';

/**
 * Broadcasts through the Cloud API's outbox. Within 24 hours of the person's last message (as it
 * stands when the message's turn comes) the text goes as it is; outside them WhatsApp delivers
 * only approved templates, so the subscriber gets the "update" template in their language,
 * naming the topic. Never held for later: the broadcast is not a reply.
 */
export function cloudOutboxBroadcast(cloud: CloudChannel, app: App): OutboxBroadcast {
  return {
    channel: WHATSAPP_CLOUD_CHANNEL,
    rate: broadcastRate(app.config, WHATSAPP_CLOUD_CHANNEL),
    render: (broadcast, lang) => {
      const { ctx, templates } = app.bot.current;
      const text = composeBroadcast(broadcast, lang, ctx.t);
      const topic = ctx.topics.find((t) => t.id === broadcast.topic)?.name[lang] ?? broadcast.topic;
      let template: TemplateMessage | undefined;
      try {
        template = buildTemplateMessage(templates, BROADCAST_TEMPLATE, lang, { topic });
      } catch (e) {
        app.log.warn(
          { code: 'broadcast.template', err: e instanceof Error ? e.message : String(e) },
          'whatsapp-cloud: the "update" template could not be made; check data/templates.yaml',
        );
      }
      // The template stands for the whole message: a text in several parts sends it once.
      return cloud
        .render([{ text, options: [], flow: null, step: null }], lang)
        .map(
          (msg, i): CloudOutgoing =>
            template === undefined
              ? { msg, hold: false }
              : { msg, hold: false, instead: i ? null : template },
        );
    },
    wake: (key) => cloud.sender.wake(key),
  };
}
