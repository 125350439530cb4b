import { type Api, InputFile } from 'grammy';
import { z } from 'zod';
import type { Inbox, InboxOpen, StaffMessage, VoiceAudio } from '../../handoff/inbox.js';
import { convertToTelegramHtml, splitText } from '../render.js';
import { MAX_TEXT } from './convert.js';

const StaffUpdateSchema = z.looseObject({
  message: z
    .looseObject({
      chat: z.object({ id: z.number(), type: z.string() }),
      from: z.object({ id: z.number(), is_bot: z.boolean() }).optional(),
      message_thread_id: z.number().optional(),
      is_topic_message: z.boolean().optional(),
      text: z.string().optional(),
      forum_topic_closed: z.unknown().optional(),
    })
    .optional(),
});

/** What staff may send that the bot cannot pass on. */
const MEDIA = [
  'photo',
  'document',
  'voice',
  'audio',
  'video',
  'video_note',
  'sticker',
  'animation',
  'location',
  'contact',
];

/**
 * The staff inbox as a Telegram supergroup with topics (STAFF_CHAT_ID): one topic per
 * conversation, named by language and a pseudonym. The bot must be an admin that can manage
 * topics. Only text messages written in a topic of this one group are taken as staff's.
 */
export class TelegramInbox implements Inbox {
  private handler?: (message: StaffMessage) => Promise<void>;

  constructor(
    private readonly api: Api,
    readonly chatId: number,
  ) {}

  async open(conversation: InboxOpen): Promise<string> {
    const topic = await this.api.createForumTopic(this.chatId, conversation.name.slice(0, 128));
    return String(topic.message_thread_id);
  }

  async relayIn(ref: string, text: string): Promise<void> {
    // The user's own words, as plain text: nothing in them can become markup or a link preview.
    for (const part of splitText(text, MAX_TEXT - 96))
      await this.api.sendMessage(this.chatId, part, {
        message_thread_id: Number(ref),
        link_preview_options: { is_disabled: true },
      });
  }

  /**
   * A voice note goes into the topic as a voice message: a Telegram user's by its file_id (this
   * bot received it), any other's uploaded from memory. An audio file goes as audio.
   */
  async relayVoice(ref: string, audio: VoiceAudio): Promise<void> {
    const other = { message_thread_id: Number(ref), ...(audio.seconds ? { duration: audio.seconds } : {}) };
    let file: string | InputFile | undefined = audio.telegramFileId;
    if (!file) {
      const { bytes, mime } = await audio.fetch();
      file = new InputFile(bytes, `${audio.kind}.${extensionOf(mime)}`);
    }
    if (audio.kind === 'audio') await this.api.sendAudio(this.chatId, file, other);
    else await this.api.sendVoice(this.chatId, file, other);
  }

  async notify(ref: string, text: string): Promise<void> {
    for (const part of splitText(text, 3800))
      await this.api.sendMessage(this.chatId, convertToTelegramHtml(part), {
        message_thread_id: Number(ref),
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      });
  }

  relayOut(handler: (message: StaffMessage) => Promise<void>): void {
    this.handler = handler;
  }

  async close(ref: string, text: string): Promise<void> {
    // Staff may have closed the topic by hand already: then both calls are refused, and that is fine.
    await this.notify(ref, text).catch((e) => ignoreClosed(e));
    await this.api.closeForumTopic(this.chatId, Number(ref)).catch((e) => ignoreClosed(e));
  }

  /**
   * Takes an update if it comes from the staff group: true when it did (handled or ignored),
   * false when it belongs to the users' side. Anything from another group is not staff's.
   */
  async receive(update: unknown): Promise<boolean> {
    const parsed = StaffUpdateSchema.safeParse(update);
    const m = parsed.success ? parsed.data.message : undefined;
    if (!m || m.chat.id !== this.chatId) return false;
    if (!m.from || m.from.is_bot) return true;
    if (!m.is_topic_message || m.message_thread_id === undefined) return true;
    const ref = String(m.message_thread_id);
    // A topic closed by hand in Telegram ends the conversation as /close does.
    if (m.forum_topic_closed !== undefined) await this.handler?.({ ref, closed: true });
    else if (typeof m.text === 'string') await this.handler?.({ ref, text: m.text });
    else if (MEDIA.some((k) => k in m)) await this.handler?.({ ref, media: true });
    return true;
  }
}

/** A file name Telegram can tell the format by; voice notes of both WhatsApps are OGG/Opus. */
function extensionOf(mime: string): string {
  if (/ogg|opus/.test(mime)) return 'ogg';
  if (/mpeg|mp3/.test(mime)) return 'mp3';
  if (/mp4|m4a|aac/.test(mime)) return 'm4a';
  return 'ogg';
}

function ignoreClosed(e: unknown): void {
  if (!/TOPIC_CLOSED|TOPIC_NOT_MODIFIED/.test(e instanceof Error ? e.message : String(e))) throw e;
}
