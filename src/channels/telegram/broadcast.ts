import { type Api, GrammyError } from 'grammy';
import { composeBroadcast } from '../../broadcast/message.js';
import type { Broadcast, DeliveryOutcome } from '../../broadcast/store.js';
import type { BroadcastSender } from '../../broadcast/worker.js';
import type { Translate } from '../../engine/context.js';
import type { Lang } from '../../text/lang.js';
import { TELEGRAM_CHANNEL } from './bot.js';
import { convertMessageToTelegram, type TelegramSend } from './convert.js';

/** Telegram's limit for a bot: about 30 messages per second to different chats. */
export const TELEGRAM_LIMIT = 30;

/** Broadcast messages through the Bot API. A 403 means the user blocked the bot. */
export function telegramBroadcastSender(api: Api, t: () => Translate, rate: number): BroadcastSender {
  // Every subscriber of a language reads the same parts: they are made once per broadcast and language.
  const made = new Map<string, TelegramSend[]>();
  const partsOf = (broadcast: Broadcast, lang: Lang): TelegramSend[] => {
    const key = `${broadcast.id}:${lang}`;
    let parts = made.get(key);
    if (!parts) {
      if (made.size > 30) made.clear();
      const text = composeBroadcast(broadcast, lang, t());
      parts = convertMessageToTelegram({ text, options: [], flow: null, step: null });
      made.set(key, parts);
    }
    return parts;
  };
  return {
    channel: TELEGRAM_CHANNEL,
    rate,
    async send({ address, lang, broadcast }): Promise<DeliveryOutcome> {
      try {
        for (const part of partsOf(broadcast, lang)) {
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
