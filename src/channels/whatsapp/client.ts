import { z } from 'zod';

/**
 * The few things the adapter needs from WhatsApp. The real whatsapp-web.js client is wrapped
 * to this shape, and tests drive the adapter with a fake that emits the same events.
 */
export interface WaClient {
  on(event: 'qr', listener: (qr: string) => void): void;
  on(event: 'authenticated' | 'ready', listener: () => void): void;
  on(event: 'auth_failure' | 'disconnected', listener: (reason: string) => void): void;
  on(event: 'message', listener: (message: WaMessage) => void): void;
  initialize(): Promise<void>;
  /** Sends a text; resolves to the sent message's serialized id. */
  sendMessage(chatId: string, text: string): Promise<string>;
  /** Sends an OGG/Opus file as a voice note (not as a file); resolves to the sent message's serialized id. */
  sendVoice(chatId: string, file: string): Promise<string>;
  /**
   * The media of a received message (a voice note), base64 in memory, by its serialized id; null
   * when WhatsApp no longer has the message or its media.
   */
  downloadMedia(messageId: string): Promise<{ data: string; mimetype: string } | null>;
  /** Deletes one of the bot's own messages for everyone; false when WhatsApp no longer has it. */
  deleteForEveryone(messageId: string): Promise<boolean>;
  getState(): Promise<string | null>;
  destroy(): Promise<void>;
}

/** An incoming message, reduced to plain data and checked at the boundary. */
export const WaMessageSchema = z.object({
  id: z.string().min(1),
  /** The chat: "<number>@c.us" for a person, "...@g.us" for a group, "status@broadcast" for statuses. */
  from: z.string().min(1),
  fromMe: z.boolean(),
  body: z.string(),
  /** "chat" for text; "image", "ptt", "sticker", "location", "document" and others for media. */
  type: z.string(),
  /** Seconds since the epoch, as WhatsApp gives it. */
  timestamp: z.number(),
  isStatus: z.boolean().default(false),
  /** Seconds, for voice notes and audio; whatsapp-web.js gives it as a string. */
  duration: z.coerce.number().min(0).optional().catch(undefined),
});
export type WaMessage = z.infer<typeof WaMessageSchema>;

export type WaClientFactory = () => WaClient;

/**
 * A serialized message id is "<fromMe>_<chat>_<key>", and the chat part holds the phone number.
 * Only the key is ever kept; the id is rebuilt from the chat when the message is deleted.
 */
export function messageKey(serialized: string): string | null {
  const key = serialized.slice(serialized.lastIndexOf('_') + 1);
  return /^[A-Za-z0-9]{1,64}$/.test(key) ? key : null;
}

/** The id of a message a user sent in a direct chat, from its key. */
export function receivedMessageId(chatId: string, key: string): string {
  return `false_${chatId}_${key}`;
}

/** The id of one of the bot's own messages in a direct chat, from its key. */
export function ownMessageId(chatId: string, key: string): string {
  return `true_${chatId}_${key}`;
}
