import type { Event, OutMessage, VoiceNote } from '../../engine/types.js';
import { convertToWhatsApp, numberedMenu, splitText } from '../render.js';
import { messageKey, type WaMessage, WaMessageSchema } from './client.js';

/** WhatsApp takes long messages, but a phone screen does not: split well before. */
export const MAX_PART = 1500;

export type WaIncoming = { chatId: string; user: string; updateId: string; event: Event };

/**
 * Only direct chats are served: groups, status broadcasts, the bot's own messages and
 * messages from before `since` (a reconnect replaying history) are ignored.
 */
export function convertWaMessageToIncoming(raw: unknown, since: number): WaIncoming | { ignore: string } {
  const parsed = WaMessageSchema.safeParse(raw);
  if (!parsed.success) return { ignore: 'malformed message' };
  const m: WaMessage = parsed.data;
  if (m.fromMe) return { ignore: 'own message' };
  if (m.isStatus || m.from === 'status@broadcast') return { ignore: 'status broadcast' };
  if (!m.from.endsWith('@c.us') && !m.from.endsWith('@lid')) return { ignore: 'not a direct chat' };
  // WhatsApp timestamps are whole seconds.
  if (m.timestamp < Math.floor(since / 1000)) return { ignore: 'older than the connection' };
  const base = { chatId: m.from, user: userOfChat(m.from), updateId: m.id };
  if (m.type === 'chat') return { ...base, event: { text: m.body } };
  // "ptt" (push to talk) is a voice note recorded in the app; "audio" an audio file. A relay to a
  // person would fetch it by its message id, rebuilt from the chat and this key: the full id holds
  // the phone number, so only the key travels.
  if (m.type === 'ptt' || m.type === 'audio') {
    const voice: VoiceNote = { kind: m.type === 'ptt' ? 'voice' : 'audio' };
    const key = messageKey(m.id);
    if (key) voice.media = key;
    if (m.duration !== undefined) voice.seconds = m.duration;
    return { ...base, event: { voice } };
  }
  return { ...base, event: { media: m.type.slice(0, 32) } };
}

/** The user of a direct chat: its number, without the "@c.us" part. */
export function userOfChat(chatId: string): string {
  return chatId.replace(/@.*$/, '');
}

/** Options become a numbered list inside the message; long text is split into parts. */
export function convertMessageToWhatsApp(message: OutMessage): string[] {
  const full = numberedMenu(convertToWhatsApp(message.text), message.buttonsOnly ? [] : message.options);
  return splitText(full, MAX_PART);
}
