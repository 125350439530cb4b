import { broadcastRate } from '../../broadcast/channels.js';
import type { OutboxBroadcast } from '../../broadcast/feeder.js';
import { composeBroadcast } from '../../broadcast/message.js';
import type { App } from '../../runtime/app.js';
import type { WhatsAppAdapter } from './adapter.js';
import { WHATSAPP_CHANNEL } from './adapter.js';
import { renderWhatsApp } from './transport.js';

/**
 * Broadcasts over WhatsApp Web, only with WHATSAPP_WEB_BROADCAST=1: WhatsApp bans numbers that
 * send many similar messages from an unofficial client. At most 10 a minute, through the
 * channel's outbox after the replies, with the replies' pacing.
 */
export function whatsappWebOutboxBroadcast(adapter: WhatsAppAdapter, app: App): OutboxBroadcast {
  const rate = broadcastRate(app.config, WHATSAPP_CHANNEL);
  app.log.warn(
    { code: 'whatsapp.broadcast_on', perMinute: Math.round(rate * 60 * 10) / 10 },
    'whatsapp: broadcasts over WhatsApp Web are on (WHATSAPP_WEB_BROADCAST=1). WhatsApp may ban a number that sends bulk messages from WhatsApp Web; prefer the Cloud API. See "Broadcasts" in the README.',
  );
  return {
    channel: WHATSAPP_CHANNEL,
    rate,
    render: (broadcast, lang) =>
      renderWhatsApp(
        [
          {
            text: composeBroadcast(broadcast, lang, app.bot.current.ctx.t),
            options: [],
            flow: null,
            step: null,
          },
        ],
        [],
        false,
      ),
    // The subscriber's number; WhatsApp Web names their chat by it.
    address: (user) => `${user}@c.us`,
    wake: (key) => adapter.sender.wake(key),
  };
}
