import type { Logger } from 'pino';
import type { OutMessage } from '../../engine/types.js';
import type { HandoffHost } from '../../handoff/host.js';
import type { AudioBytes } from '../../handoff/inbox.js';
import type { Bot } from '../../runtime/bot.js';
import {
  messageKey,
  ownMessageId,
  receivedMessageId,
  type WaClient,
  type WaClientFactory,
  type WaMessage,
} from './client.js';
import { convertMessageToWhatsApp, convertWaMessageToIncoming, userOfChat } from './convert.js';
import { type Clock, DEFAULT_PACING, Pacer, type PacerOptions, realClock } from './pacer.js';
import type { WaStateName } from './state.js';
import { sendWhatsAppVoice } from './voice.js';

export const WHATSAPP_CHANNEL = 'whatsapp';

/**
 * The staff inbox's way to WhatsApp Web users: staff replies go through the same queue as the
 * bot's, and users' voice notes are downloaded through the client when they are passed on.
 */
export function connectWhatsAppHandoff(host: HandoffHost, adapter: WhatsAppAdapter): void {
  host.relay.register(WHATSAPP_CHANNEL, (user, messages) => adapter.sendTo(user, messages));
  host.relay.registerVoice(WHATSAPP_CHANNEL, (user, voice) => ({
    kind: voice.kind,
    seconds: voice.seconds,
    fetch: () => adapter.fetchVoice(user, voice.media),
  }));
}

/**
 * One queued piece of work for a chat: a text to send, or the bot's own messages to delete. Its
 * `epoch` is the chat's when it was queued; a quick exit starts a new one, so replies queued
 * before it are dropped instead of appearing after the chat was cleared.
 */
type Job = ({ text: string; record: boolean } | { voice: string; record: boolean } | { erase: string[] }) & {
  epoch: number;
  settles?: boolean;
};

export type WhatsAppOptions = {
  factory: WaClientFactory;
  clock?: Clock;
  pacing?: PacerOptions;
  /** initialize() can hang forever when WhatsApp Web changes; give up after this. */
  initTimeoutMs?: number;
  healthTimeoutMs?: number;
  /** Restart after this many failed health checks in a row. */
  healthFailures?: number;
  backoff?: { firstMs: number; maxMs: number };
  onQr?: (qr: string) => void;
  /** Each change of the connection, and each health check that finds it connected. */
  onState?: (state: WaStateName) => void;
  /** The content's data/ folder, where recorded answers are; without it answers go as text only. */
  dataDir?: string;
};

/**
 * Keeps one WhatsApp Web client alive and connects it to the bot. On a disconnect, a page
 * crash, a hung start or failed health checks it destroys the client and builds a fresh one,
 * with growing pauses. The login lives on disk (LocalAuth), so a new client needs no new QR.
 */
export class WhatsAppAdapter {
  private client: WaClient | undefined;
  private generation = 0;
  private attempts = 0;
  private failedChecks = 0;
  private stopped = false;
  /** Messages older than the current connection are history being replayed, not new questions. */
  private since = 0;
  private readyWaiters: Array<() => void> = [];
  private ready = false;
  private readonly clock: Clock;
  readonly pacer: Pacer<Job>;
  /** Chats whose user was just forgotten, until the reply to that is sent. */
  private readonly epochs = new Map<string, number>();
  /** Each user's chat as WhatsApp named it (a number or a @lid), in memory only, for staff replies. */
  private readonly chats = new Map<string, string>();
  /** The chain of turns in progress: each message waits for the one before. */
  private turns: Promise<void> = Promise.resolve();

  constructor(
    private readonly bot: Bot,
    private readonly log: Logger,
    private readonly options: WhatsAppOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.pacer = new Pacer<Job>(
      (chat, job) => this.deliver(chat, job),
      this.clock,
      options.pacing ?? DEFAULT_PACING,
    );
  }

  /** Connects in the background; failures are retried, never thrown. */
  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    await client?.destroy().catch(() => undefined);
    this.state('stopped');
  }

  isReady(): boolean {
    return this.ready;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    const client = this.options.factory();
    this.client = client;
    this.ready = false;
    this.since = this.clock.now();
    this.state('starting');
    const current = () => generation === this.generation && !this.stopped;
    client.on('qr', (qr) => {
      if (!current()) return;
      this.log.info({ event: 'qr' }, 'whatsapp: scan the QR code with the phone (Linked devices)');
      this.options.onQr?.(qr);
      this.state('qr');
    });
    client.on('authenticated', () => {
      if (!current()) return;
      this.log.info({ event: 'authenticated' }, 'whatsapp: authenticated');
      this.state('authenticated');
    });
    client.on('auth_failure', (reason) => {
      if (!current()) return;
      this.state('auth_failure');
      this.log.error(
        { event: 'auth_failure', reason },
        'whatsapp: login failed; delete the session folder and scan again',
      );
      void this.restart('auth_failure');
    });
    client.on('ready', () => {
      if (!current()) return;
      this.ready = true;
      this.attempts = 0;
      this.failedChecks = 0;
      this.log.info({ event: 'ready' }, 'whatsapp: ready');
      this.state('ready');
      for (const w of this.readyWaiters.splice(0)) w();
    });
    client.on('disconnected', (reason) => {
      if (!current()) return;
      this.log.warn({ event: 'disconnected', reason }, 'whatsapp: disconnected');
      this.state('disconnected');
      void this.restart(`disconnected: ${reason}`);
    });
    client.on('message', (message) => current() && this.onMessage(message));
    try {
      await withDeadline(
        client.initialize(),
        this.options.initTimeoutMs ?? 120_000,
        this.clock,
        'initialize',
      );
    } catch (e) {
      if (!current()) return;
      this.log.error(
        { event: 'init_failed', reason: e instanceof Error ? e.message : String(e) },
        'whatsapp: start failed',
      );
      await this.restart('init_failed');
    }
  }

  /** Destroys the client (never to be used again) and builds a fresh one after a pause. */
  private async restart(reason: string): Promise<void> {
    if (this.stopped) return;
    const old = this.client;
    this.generation++;
    this.client = undefined;
    this.ready = false;
    await old?.destroy().catch(() => undefined);
    const { firstMs, maxMs } = this.options.backoff ?? { firstMs: 2_000, maxMs: 120_000 };
    const pause = Math.min(maxMs, firstMs * 2 ** this.attempts++);
    this.log.info({ event: 'restart', reason, inMs: pause }, 'whatsapp: restarting with a new client');
    this.state('restarting');
    await this.clock.sleep(pause);
    await this.connect();
  }

  /** One periodic check: getState under a timeout; several failures in a row restart the client. */
  async checkHealth(): Promise<boolean> {
    const client = this.client;
    if (!client || !this.ready) return false;
    try {
      const state = await withDeadline(
        client.getState(),
        this.options.healthTimeoutMs ?? 15_000,
        this.clock,
        'getState',
      );
      if (state !== 'CONNECTED') throw new Error(`state ${state}`);
      this.failedChecks = 0;
      // A fresh time tells whoever reads the state that the connection was seen alive just now.
      this.state('ready');
      return true;
    } catch (e) {
      this.failedChecks++;
      this.log.warn(
        { event: 'health', failures: this.failedChecks, reason: e instanceof Error ? e.message : String(e) },
        'whatsapp: health check failed',
      );
      if (this.failedChecks >= (this.options.healthFailures ?? 3)) {
        this.failedChecks = 0;
        await this.restart('health');
      }
      return false;
    }
  }

  private state(state: WaStateName): void {
    try {
      this.options.onState?.(state);
    } catch (e) {
      this.log.warn(
        { event: 'state', reason: e instanceof Error ? e.message : String(e) },
        'whatsapp: the state could not be recorded',
      );
    }
  }

  /**
   * Turns run one after the other, in the order WhatsApp Web delivered the messages, so replies
   * are queued in that order too.
   */
  private onMessage(message: WaMessage): void {
    this.turns = this.turns.then(() => this.turn(message));
  }

  private async turn(message: WaMessage): Promise<void> {
    const incoming = convertWaMessageToIncoming(message, this.since);
    if ('ignore' in incoming) {
      this.log.debug({ reason: incoming.ignore }, 'whatsapp message ignored');
      return;
    }
    try {
      const reply = await this.bot.handle({
        channel: WHATSAPP_CHANNEL,
        user: incoming.user,
        event: incoming.event,
        updateId: incoming.updateId,
      });
      const chat = incoming.chatId;
      if (!reply.session && !reply.duplicate) {
        this.epochs.set(chat, (this.epochs.get(chat) ?? 0) + 1);
        this.chats.delete(incoming.user);
      } else this.chats.set(incoming.user, chat);
      const epoch = this.epochs.get(chat) ?? 0;
      const jobs: Job[] = [];
      // Quick exit: the bot's own messages go first, so that only the short reply is left.
      if (reply.erase.length) jobs.push({ erase: reply.erase, epoch });
      for (const out of reply.messages) {
        // A forgotten user's reply is not remembered: nothing of theirs is kept after a forget.
        for (const text of convertMessageToWhatsApp(out))
          jobs.push({ text, record: reply.session !== null, epoch });
        // The recording follows its text, in the same queue, so it never arrives first.
        if (out.audio && this.options.dataDir)
          jobs.push({ voice: out.audio, record: reply.session !== null, epoch });
      }
      if (this.epochs.has(chat) && jobs.length) jobs[jobs.length - 1]!.settles = true;
      for (const job of jobs) {
        this.pacer
          .enqueue(chat, job)
          .catch((e) =>
            this.log.error(
              { event: 'send_failed', reason: String(e) },
              'whatsapp: a reply could not be sent',
            ),
          );
      }
    } catch (e) {
      this.log.error(
        { event: 'turn_failed', reason: e instanceof Error ? e.message : String(e) },
        'whatsapp: a message could not be handled',
      );
    }
  }

  /** A broadcast message, paced with the replies; throws when it could not be sent. */
  async sendBroadcast(user: string, parts: readonly string[]): Promise<void> {
    const chat = `${user}@c.us`;
    for (const text of parts)
      await this.pacer.enqueue(chat, { text, record: false, epoch: this.epochs.get(chat) ?? 0 });
  }

  /**
   * Messages the bot starts itself (a staff member's reply): queued behind the chat's replies,
   * with the same pacing. Resolves once they are sent.
   */
  async sendTo(user: string, messages: readonly OutMessage[]): Promise<'sent'> {
    const chat = this.chats.get(user) ?? `${user}@c.us`;
    const epoch = this.epochs.get(chat) ?? 0;
    const jobs = messages
      .flatMap((m) => convertMessageToWhatsApp(m))
      .map((text) => ({ text, record: true, epoch }));
    await Promise.all(jobs.map((job) => this.pacer.enqueue(chat, job)));
    return 'sent';
  }

  /**
   * A voice note a user sent, by its message key, for the staff inbox: downloaded through the
   * connected client into memory, never to disk.
   */
  async fetchVoice(user: string, key: string): Promise<AudioBytes> {
    const client = this.client;
    if (!client || !this.ready) throw new Error('whatsapp is not connected');
    const chat = this.chats.get(user) ?? `${user}@c.us`;
    const media = await client.downloadMedia(receivedMessageId(chat, key));
    if (!media) throw new Error('whatsapp no longer has the voice note');
    return { bytes: Buffer.from(media.data, 'base64'), mime: media.mimetype };
  }

  /** Sends or deletes through whichever client is connected now, waiting for one after a reconnect. */
  private async deliver(chatId: string, job: Job): Promise<void> {
    const current = this.epochs.get(chatId) ?? 0;
    if (job.epoch < current) return;
    if (job.settles && job.epoch === current) this.epochs.delete(chatId);
    if (!this.ready) await new Promise<void>((r) => this.readyWaiters.push(r));
    if ('erase' in job) return this.erase(chatId, job.erase);
    const id =
      'voice' in job
        ? await sendWhatsAppVoice(this.client!, chatId, this.options.dataDir!, job.voice, this.log)
        : await this.client!.sendMessage(chatId, job.text);
    if (id === null) return;
    const key = messageKey(id);
    if (key && job.record) await this.bot.recordSent(WHATSAPP_CHANNEL, userOfChat(chatId), [key]);
  }

  /** Deletes the bot's own recent messages for everyone; a message WhatsApp refuses stays. */
  private async erase(chatId: string, keys: string[]): Promise<void> {
    let failed = 0;
    for (const key of keys) {
      const ok = await this.client!.deleteForEveryone(ownMessageId(chatId, key)).catch(() => false);
      if (!ok) failed++;
    }
    if (failed) this.log.info({ event: 'erase', failed, of: keys.length }, 'whatsapp: some messages stayed');
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  return Promise.race([
    work,
    clock.sleep(ms).then(() => {
      throw new Error(`${what} took longer than ${Math.round(ms / 1000)} s`);
    }),
  ]);
}
