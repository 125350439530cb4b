import type { Logger } from 'pino';
import { z } from 'zod';
import type { OutMessage } from '../../engine/types.js';
import type { SendOutcome, Transport } from '../../outbox/sender.js';
import { messageKey, ownMessageId, type WaClient } from './client.js';
import { convertMessageToWhatsApp } from './convert.js';
import type { Clock, PacerOptions } from './pacer.js';
import { sendWhatsAppVoice } from './voice.js';

/** One WhatsApp Web call, as the outbox keeps it (sealed, with the chat id as its address). */
export const WaPayloadSchema = z.discriminatedUnion('m', [
  z.object({ m: z.literal('text'), text: z.string() }),
  /** A recorded answer (a file under data/), after its text. */
  z.object({ m: z.literal('voice'), ref: z.string() }),
  /** Quick exit: the bot's own recent messages, deleted for everyone, by their keys. */
  z.object({ m: z.literal('erase'), keys: z.array(z.string()) }),
]);
export type WaPayload = z.infer<typeof WaPayloadSchema>;

/**
 * The calls for a turn: a quick exit's deletions first (so only the short reply is left to
 * see), then each message's texts, and a recording after its text.
 */
export function renderWhatsApp(
  messages: readonly OutMessage[],
  erase: readonly string[],
  voice: boolean,
): WaPayload[] {
  const out: WaPayload[] = [];
  if (erase.length) out.push({ m: 'erase', keys: [...erase] });
  for (const message of messages) {
    for (const text of convertMessageToWhatsApp(message)) out.push({ m: 'text', text });
    if (message.audio && voice) out.push({ m: 'voice', ref: message.audio });
  }
  return out;
}

/**
 * WhatsApp Web's pacing as the outbox sender's limits: WhatsApp bans numbers that send like
 * machines, so one message at a time, a gap per chat and a global rate.
 */
export function pacingLimits(p: PacerOptions): {
  perSecond: number;
  perChatPerSecond: number;
  chatBurst: number;
  concurrency: number;
  burst: number;
} {
  return {
    perSecond: p.perMinute / 60,
    perChatPerSecond: p.perChatGapMs > 0 ? 1000 / p.perChatGapMs : 1_000_000,
    chatBurst: 1,
    concurrency: 1,
    burst: 1,
  };
}

export type WaTransportOptions = {
  /** The client connected now, or null while it is down. */
  client: () => WaClient | null;
  /** Resolves when a client is connected again. */
  ready: () => Promise<void>;
  clock: Clock;
  pacing: PacerOptions;
  log: Logger;
  /** The content's data/ folder, where recordings are; without it they are not sent. */
  dataDir?: string;
  /** How long a send waits for a client that is down before the channel pauses. */
  readyWaitMs?: number;
};

/** While the client is down, the channel pauses this long between looks: nothing is dropped. */
export const DOWN_PAUSE_S = 5;

/**
 * Sends outbox rows through whichever WhatsApp Web client is connected. While none is, the
 * message stays in the outbox and the channel pauses; it goes once the client reconnects.
 */
export class WaTransport implements Transport {
  constructor(private readonly options: WaTransportOptions) {}

  async send(chatId: string, raw: unknown): Promise<SendOutcome> {
    const parsed = WaPayloadSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, kind: 'rejected', reason: 'unreadable payload' };
    const payload = parsed.data;
    const { clock, pacing } = this.options;
    // A little random wait, so the rhythm does not look mechanical.
    const jitter = Math.floor((pacing.random ?? Math.random)() * pacing.jitterMs);
    if (jitter > 0) await clock.sleep(jitter);
    const client = await this.connected();
    if (!client) return { ok: false, kind: 'retry_after', seconds: DOWN_PAUSE_S };
    try {
      switch (payload.m) {
        case 'text': {
          const id = await client.sendMessage(chatId, payload.text);
          const key = messageKey(id);
          return { ok: true, ids: key ? [key] : [] };
        }
        case 'voice': {
          if (!this.options.dataDir) return { ok: true };
          const id = await sendWhatsAppVoice(
            client,
            chatId,
            this.options.dataDir,
            payload.ref,
            this.options.log,
          );
          const key = id === null ? null : messageKey(id);
          return { ok: true, ids: key ? [key] : [] };
        }
        case 'erase':
          await this.erase(client, chatId, payload.keys);
          return { ok: true };
      }
    } catch (e) {
      // whatsapp-web.js errors can quote the chat, and so the phone number: only the kind is kept.
      const reason = e instanceof Error ? e.name : 'unknown error';
      this.options.log.warn(
        { event: 'send_failed', kind: payload.m, reason },
        'whatsapp: a message could not be sent; it stays in the outbox and is tried again',
      );
      return { ok: false, kind: 'transient', reason };
    }
  }

  /** The connected client, waiting a little for one after a disconnect. */
  private async connected(): Promise<WaClient | null> {
    const now = this.options.client();
    if (now) return now;
    await Promise.race([this.options.ready(), this.options.clock.sleep(this.options.readyWaitMs ?? 30_000)]);
    return this.options.client();
  }

  /** Deletes the bot's own recent messages for everyone; a message WhatsApp refuses stays. */
  private async erase(client: WaClient, chatId: string, keys: readonly string[]): Promise<void> {
    let failed = 0;
    for (const key of keys) {
      const ok = await client.deleteForEveryone(ownMessageId(chatId, key)).catch(() => false);
      if (!ok) failed++;
    }
    if (failed)
      this.options.log.info({ event: 'erase', failed, of: keys.length }, 'whatsapp: some messages stayed');
  }
}
