import type { OutboxBroadcast } from '../../broadcast/feeder.js';
import { composeBroadcast } from '../../broadcast/message.js';
import type { Translate } from '../../engine/context.js';
import { TELEGRAM_CHANNEL } from './bot.js';
import { renderTelegram } from './transport.js';

/**
 * Broadcast messages through the Telegram outbox: each subscriber's message becomes the same
 * Bot API calls as a reply, sent by the channel's sender. A 403 there means the user blocked the
 * bot: the delivery is marked blocked, their subscriptions and session go.
 */
export function telegramOutboxBroadcast(
  t: () => Translate,
  rate: number,
  wake: (userKey: string) => void,
): OutboxBroadcast {
  return {
    channel: TELEGRAM_CHANNEL,
    rate,
    render: (broadcast, lang) =>
      renderTelegram(
        [{ text: composeBroadcast(broadcast, lang, t()), options: [], flow: null, step: null }],
        [],
      ),
    wake,
  };
}
