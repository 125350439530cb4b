import { type Api, GrammyError, HttpError } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { z } from 'zod';
import type { OutMessage } from '../../engine/types.js';
import type { SendOutcome, Transport } from '../../outbox/sender.js';
import { convertMessageToTelegram } from './convert.js';

/** One Bot API call, as the outbox keeps it. */
export const TelegramPayloadSchema = z.discriminatedUnion('m', [
  z.object({
    m: z.literal('send'),
    text: z.string(),
    reply_markup: z.custom<InlineKeyboardMarkup>().optional(),
  }),
  /** Quick exit: a message of the chat goes. */
  z.object({ m: z.literal('delete'), id: z.number() }),
  /** A pressed keyboard goes, so an old menu is not pressed twice. */
  z.object({ m: z.literal('unkeyboard'), id: z.number() }),
  /** A recorded answer (a file under data/), after its text. */
  z.object({ m: z.literal('voice'), ref: z.string() }),
]);
export type TelegramPayload = z.infer<typeof TelegramPayloadSchema>;

/**
 * The calls for a turn: the pressed keyboard away, then a quick exit's deletions (the history
 * goes first so that only the short reply is left to see), then the messages.
 */
export function renderTelegram(
  messages: readonly OutMessage[],
  erase: readonly string[],
  pressed?: number,
): TelegramPayload[] {
  const out: TelegramPayload[] = [];
  if (pressed !== undefined) out.push({ m: 'unkeyboard', id: pressed });
  for (const id of erase) out.push({ m: 'delete', id: Number(id) });
  for (const message of messages) {
    for (const send of convertMessageToTelegram(message))
      out.push(
        send.reply_markup
          ? { m: 'send', text: send.text, reply_markup: send.reply_markup }
          : { m: 'send', text: send.text },
      );
    if (message.audio) out.push({ m: 'voice', ref: message.audio });
  }
  return out;
}

/** Sends outbox rows with grammY's Api and says what each answer means for the outbox. */
export class TelegramTransport implements Transport {
  constructor(
    private readonly api: Api,
    /** Sends a recorded answer; never throws (the text has gone already): the message id, or null. */
    private readonly voice?: (api: Api, chatId: number, ref: string) => Promise<number | null>,
  ) {}

  async send(address: string, raw: unknown): Promise<SendOutcome> {
    const payload = TelegramPayloadSchema.parse(raw);
    const chat = Number(address);
    try {
      switch (payload.m) {
        case 'send': {
          const out = await this.api.sendMessage(chat, payload.text, {
            parse_mode: 'HTML',
            reply_markup: payload.reply_markup,
            link_preview_options: { is_disabled: true },
          });
          return { ok: true, ids: [String(out.message_id)] };
        }
        case 'delete':
          await this.api.deleteMessage(chat, payload.id);
          return { ok: true };
        case 'voice': {
          const id = this.voice ? await this.voice(this.api, chat, payload.ref) : null;
          return { ok: true, ids: id === null ? [] : [String(id)] };
        }
        case 'unkeyboard':
          await this.api.editMessageReplyMarkup(chat, payload.id, { reply_markup: { inline_keyboard: [] } });
          return { ok: true };
      }
    } catch (e) {
      return classify(e, payload.m !== 'send');
    }
  }
}

/** A deletion or an edit that Telegram refuses (too old, already gone) is done as far as we can. */
export function classify(e: unknown, tidying: boolean): SendOutcome {
  if (e instanceof GrammyError) {
    const code = e.error_code;
    if (code === 429) return { ok: false, kind: 'retry_after', seconds: e.parameters.retry_after ?? 5 };
    if (code === 401) return { ok: false, kind: 'unauthorized' };
    if (code === 403) return tidying ? { ok: true } : { ok: false, kind: 'blocked' };
    if (code >= 500) return { ok: false, kind: 'transient', reason: `${code}` };
    if (tidying) return { ok: true };
    return { ok: false, kind: 'rejected', reason: e.description };
  }
  if (e instanceof HttpError) return { ok: false, kind: 'transient', reason: 'network' };
  return { ok: false, kind: 'transient', reason: e instanceof Error ? e.message : String(e) };
}
