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
