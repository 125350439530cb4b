import type { Logger } from 'pino';
import { recordingPath } from '../../audio/file.js';
import type { WaClient } from './client.js';

/**
 * Sends a recorded answer as a voice note through WhatsApp Web. whatsapp-web.js uploads the file
 * on every send and keeps no id to reuse, so there is nothing to cache. Never throws: a voice note
 * that cannot go is logged, and the text has gone already. Resolves to the sent message's id, or null.
 */
export async function sendWhatsAppVoice(
  client: WaClient,
  chatId: string,
  dataDir: string,
  ref: string,
  log: Logger,
): Promise<string | null> {
  try {
    return await client.sendVoice(chatId, recordingPath(dataDir, ref));
  } catch (e) {
    // whatsapp-web.js errors can quote the chat, and so the phone number: only the kind is logged.
    log.warn(
      { event: 'voice_failed', file: ref, reason: e instanceof Error ? e.name : 'unknown error' },
      'whatsapp: a recorded answer could not be sent',
    );
    return null;
  }
}
