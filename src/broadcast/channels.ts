import { type Config, cloudApiEnabled } from '../config/env.js';

/**
 * The channels broadcasts go out on. WhatsApp Web only with WHATSAPP_WEB_BROADCAST=1: bulk
 * messages from an unofficial client get numbers banned.
 */
export function broadcastChannels(config: Config): Set<string> {
  const on = new Set<string>();
  if (config.TELEGRAM_BOT_TOKEN) on.add('telegram');
  if (cloudApiEnabled(config)) on.add('whatsapp-cloud');
  if (config.WHATSAPP_ENABLED && config.WHATSAPP_WEB_BROADCAST) on.add('whatsapp');
  return on;
}

/** The most a channel takes: Telegram about 30 messages/s; the Cloud API 80/s by default; WhatsApp Web 10/min at most. */
export const CHANNEL_LIMITS: Record<string, number> = {
  telegram: 30,
  'whatsapp-cloud': 80,
  whatsapp: 10 / 60,
};

/**
 * Broadcast messages per second on a channel: BROADCAST_RATE, else 80 % of the channel's limit,
 * so replies still get through. WhatsApp Web never goes above 10 per minute, whatever is set.
 */
export function broadcastRate(
  config: Pick<Config, 'BROADCAST_RATE'> & Partial<Pick<Config, 'OUTBOX_TELEGRAM_PER_S'>>,
  channel: string,
): number {
  // Telegram's limit is the outbox's, which the operator may set (OUTBOX_TELEGRAM_PER_S).
  const limit =
    (channel === 'telegram' ? config.OUTBOX_TELEGRAM_PER_S : undefined) ?? CHANNEL_LIMITS[channel] ?? 1;
  const rate = config.BROADCAST_RATE ?? limit * 0.8;
  return channel === 'whatsapp' ? Math.min(rate, limit) : rate;
}

/** Broadcasts take this share of a channel's limit by default; the rest is kept for replies. */
export const BROADCAST_SHARE = 0.8;

/**
 * The messages per second a channel's outbox sends, all kinds together: its own limit, or more
 * when BROADCAST_RATE asks for more than 80 % of it (Telegram's paid broadcasts go up to 1,000 a
 * second), so replies still keep a fifth of what is sent.
 */
export function outboxLimit(limit: number, rate: number): number {
  return Math.max(limit, rate / BROADCAST_SHARE);
}
