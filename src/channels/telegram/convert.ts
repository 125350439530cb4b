import type { InlineKeyboardMarkup } from 'grammy/types';
import { z } from 'zod';
import type { LangHint } from '../../engine/context.js';
import type { Event, OutMessage, Position, VoiceNote } from '../../engine/types.js';
import { isLang } from '../../text/lang.js';
import { decodeChoice, encodeChoice } from '../choice.js';
import { convertToTelegramHtml, splitText } from '../render.js';

/** Telegram's limits: message text and callback data. */
export const MAX_TEXT = 4096;
export const MAX_CALLBACK_BYTES = 64;
/** Room for the HTML tags and entities the conversion adds. */
const SPLIT_AT = 3800;

export type TelegramIncoming = {
  user: string;
  chatId: number;
  updateId: string;
  event: Event;
  hint?: LangHint;
  /** The message whose keyboard was pressed, to take the keyboard away. */
  pressed?: { messageId: number; callbackId: string };
  /** The user's own message, which a quick exit deletes with the rest of the chat. */
  messageId?: number;
};

export type Ignored = { ignore: string };

/** The user blocked the bot (or deleted the chat): everything stored for them is deleted. */
export type Blocked = { forget: string };

/** Callback data carries the option id and its menu (see ../choice.ts), in 64 bytes. */
export function encodeCallback(optionId: string, at: Position | null): string {
  const data = encodeChoice(optionId, at, MAX_CALLBACK_BYTES);
  if (data === null) throw new Error(`option id "${optionId}" is too long for Telegram`);
  return data;
}

export const decodeCallback = decodeChoice;

const MEDIA = [
  'photo',
  'voice',
  'audio',
  'video',
  'video_note',
  'sticker',
  'animation',
  'document',
  'location',
  'venue',
  'contact',
  'poll',
  'dice',
] as const;

/** The parts of an update the bot reads, checked before use: anything else is ignored. */
const UserSchema = z.object({ id: z.number(), is_bot: z.boolean(), language_code: z.string().optional() });
const ChatSchema = z.object({ id: z.number(), type: z.string() });
const MessageSchema = z.looseObject({
  message_id: z.number(),
  chat: ChatSchema,
  from: UserSchema.optional(),
  text: z.string().optional(),
  voice: z
    .looseObject({ file_id: z.string(), duration: z.number().optional(), mime_type: z.string().optional() })
    .optional(),
  audio: z
    .looseObject({ file_id: z.string(), duration: z.number().optional(), mime_type: z.string().optional() })
    .optional(),
});
const UpdateSchema = z.looseObject({
  update_id: z.number(),
  my_chat_member: z
    .looseObject({
      chat: ChatSchema,
      from: UserSchema,
      new_chat_member: z.looseObject({ status: z.string() }),
    })
    .optional(),
  message: MessageSchema.optional(),
  edited_message: z.unknown().optional(),
  callback_query: z
    .object({
      id: z.string(),
      from: UserSchema,
      data: z.string().optional(),
      message: z.object({ message_id: z.number(), chat: ChatSchema }).optional(),
    })
    .optional(),
});

/**
 * Maps an update to an engine event. Only private chats are served: in groups the bot
 * would read other people's messages. Edited messages are ignored, so that fixing a typo
 * does not answer twice.
 */
export function convertUpdateToIncoming(raw: unknown): TelegramIncoming | Ignored | Blocked {
  const parsed = UpdateSchema.safeParse(raw);
  if (!parsed.success) return { ignore: 'malformed update' };
  const update = parsed.data;
  const updateId = String(update.update_id);
  if (update.my_chat_member) {
    const change = update.my_chat_member;
    if (change.chat.type !== 'private') return { ignore: 'membership change outside a private chat' };
    // "kicked" in a private chat is the user blocking the bot; a later unblock starts afresh.
    if (change.new_chat_member.status === 'kicked') return { forget: String(change.from.id) };
    return { ignore: 'membership change' };
  }
  if (update.callback_query) {
    const q = update.callback_query;
    const msg = q.message;
    if (msg?.chat.type !== 'private') return { ignore: 'callback outside a private chat' };
    const decoded = q.data ? decodeCallback(q.data) : null;
    if (!decoded) return { ignore: 'unknown callback data' };
    return {
      user: String(q.from.id),
      chatId: msg.chat.id,
      updateId,
      event: decoded.at ? { choice: decoded.choice, at: decoded.at } : { choice: decoded.choice },
      hint: hintOf(q.from.language_code),
      pressed: { messageId: msg.message_id, callbackId: q.id },
    };
  }
  if (update.edited_message) return { ignore: 'edited message' };
  const m = update.message;
  if (!m) return { ignore: 'not a message' };
  if (m.chat.type !== 'private') return { ignore: 'group chat' };
  if (!m.from || m.from.is_bot) return { ignore: 'no human sender' };
  const base = {
    user: String(m.from.id),
    chatId: m.chat.id,
    updateId,
    hint: hintOf(m.from.language_code),
    messageId: m.message_id,
  };
  if (typeof m.text === 'string') {
    const start = /^\/start(?:@\w+)?(?:\s+(\S+))?\s*$/.exec(m.text);
    if (start) return { ...base, event: { start: (start[1] ?? '').slice(0, 64) } };
    return { ...base, event: { text: m.text } };
  }
  const sound = m.voice ?? m.audio;
  if (sound) {
    // The file_id is what a relay to a person would forward; it is never stored.
    const voice: VoiceNote = { kind: m.voice ? 'voice' : 'audio', media: sound.file_id.slice(0, 512) };
    if (sound.duration !== undefined && sound.duration >= 0) voice.seconds = sound.duration;
    if (sound.mime_type) voice.mime = sound.mime_type.slice(0, 100);
    return { ...base, event: { voice } };
  }
  const kind = MEDIA.find((k) => k in m) ?? 'other';
  return { ...base, event: { media: kind } };
}

function hintOf(code: string | undefined): LangHint | undefined {
  const lang = code?.slice(0, 2).toLowerCase();
  return isLang(lang) ? { lang, sure: false } : undefined;
}

export type TelegramSend = { text: string; parse_mode: 'HTML'; reply_markup?: InlineKeyboardMarkup };

/** One engine message as Telegram messages: HTML text split to fit, buttons on the last part. */
export function convertMessageToTelegram(message: OutMessage): TelegramSend[] {
  const at = message.flow && message.step ? { flow: message.flow, step: message.step } : null;
  const parts = splitText(message.text, SPLIT_AT).map((p) => convertToTelegramHtml(p));
  const sends: TelegramSend[] = parts.map((text) => ({ text, parse_mode: 'HTML' }));
  if (message.options.length) {
    sends[sends.length - 1]!.reply_markup = {
      inline_keyboard: message.options.map((o) => [
        { text: o.label, callback_data: encodeCallback(o.id, at) },
      ]),
    };
  }
  return sends;
}
