import { type Api, GrammyError } from 'grammy';
import { composeBroadcast } from '../../broadcast/message.js';
import type { DeliveryOutcome } from '../../broadcast/store.js';
import type { BroadcastSender } from '../../broadcast/worker.js';
import type { Translate } from '../../engine/context.js';
import { TELEGRAM_CHANNEL } from './bot.js';
import { convertMessageToTelegram } from './convert.js';

/** Telegram's limit for a bot: about 30 messages per second to different chats. */
export const TELEGRAM_LIMIT = 30;

/** Broadcast messages through the Bot API. A 403 means the user blocked the bot. */
export function telegramBroadcastSender(api: Api, t: () => Translate, rate: number): BroadcastSender {
  return {
    channel: TELEGRAM_CHANNEL,
    rate,
    async send({ address, lang, broadcast }): Promise<DeliveryOutcome> {
      const text = composeBroadcast(broadcast, lang, t());
      try {
        for (const part of convertMessageToTelegram({ text, options: [], flow: null, step: null })) {
          await api.sendMessage(Number(address), part.text, {
            parse_mode: part.parse_mode,
            link_preview_options: { is_disabled: true },
          });
        }
        return 'sent';
      } catch (e) {
        // 403: blocked, or the account was deleted; 400 "chat not found": the chat is gone.
        if (e instanceof GrammyError && (e.error_code === 403 || /chat not found/i.test(e.description)))
          return 'blocked';
        return 'failed';
      }
    },
  };
}
