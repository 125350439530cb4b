import { broadcastRate } from '../../broadcast/channels.js';
import { composeBroadcast } from '../../broadcast/message.js';
import type { BroadcastSender } from '../../broadcast/worker.js';
import type { App } from '../../runtime/app.js';
import type { WhatsAppAdapter } from './adapter.js';
import { WHATSAPP_CHANNEL } from './adapter.js';
import { convertMessageToWhatsApp } from './convert.js';

/**
 * Broadcasts over WhatsApp Web, only with WHATSAPP_WEB_BROADCAST=1: WhatsApp bans numbers that
 * send many similar messages from an unofficial client. At most 10 a minute, with the replies' pacing.
 */
export function whatsappWebBroadcastSender(adapter: WhatsAppAdapter, app: App): BroadcastSender {
  const rate = broadcastRate(app.config, WHATSAPP_CHANNEL);
  app.log.warn(
    { code: 'whatsapp.broadcast_on', perMinute: Math.round(rate * 60 * 10) / 10 },
    'whatsapp: broadcasts over WhatsApp Web are on (WHATSAPP_WEB_BROADCAST=1). WhatsApp may ban a number that sends bulk messages from WhatsApp Web; prefer the Cloud API. See "Broadcasts" in the README.',
  );
  return {
    channel: WHATSAPP_CHANNEL,
    rate,
    async send({ address, lang, broadcast }) {
      const text = composeBroadcast(broadcast, lang, app.bot.current.ctx.t);
      try {
        await adapter.sendBroadcast(
          address,
          convertMessageToWhatsApp({ text, options: [], flow: null, step: null }),
        );
        return 'sent';
      } catch {
        return 'failed';
      }
    },
  };
}
