import type { Logger } from 'pino';
import type { OutMessage } from '../../engine/types.js';
import type { HandoffHost } from '../../handoff/host.js';
import type { AudioBytes } from '../../handoff/inbox.js';
import { PRIORITY } from '../../outbox/contract.js';
import { OutboxSender } from '../../outbox/sender.js';
import { ApologyLimiter } from '../../runtime/apology.js';
import type { Bot } from '../../runtime/bot.js';
import { StoreFault } from '../../store/fault.js';
import { receivedMessageId, type WaClient, type WaClientFactory, type WaMessage } from './client.js';
import { convertMessageToWhatsApp, convertWaMessageToIncoming } from './convert.js';
import { type Clock, DEFAULT_PACING, type PacerOptions, realClock, senderSleep } from './pacer.js';
import type { WaStateName } from './state.js';
import { pacingLimits, renderWhatsApp, type WaPayload, WaTransport } from './transport.js';

export const WHATSAPP_CHANNEL = 'whatsapp';
export const DEFAULT_GRACE_MS = 10 * 60_000;

/**
 * The staff inbox's way to WhatsApp Web users: staff replies go through the outbox after the
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

export type WhatsAppOptions = {
  factory: WaClientFactory;
  clock?: Clock;
  /** The outbox sender's limits for WhatsApp Web: a gap per chat, a global rate, a little jitter. */
  pacing?: PacerOptions;
  /**
   * Messages that arrived while the client was down (or the bot stopped) and are younger than
   * this are answered after reconnecting, once: older history replayed on connect is not.
   */
  graceMs?: number;
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
  /** How long 5xx-like send errors are retried before a message is given up on (OUTBOX_RETRY_H). */
  retryForMs?: number;
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
  /**
   * Messages older than this are history being replayed, not new questions: the connection's
   * start less the grace. Those within the grace are answered once (their ids are remembered).
   */
  private since = 0;
  private readyWaiters: Array<() => void> = [];
  private ready = false;
  private readonly clock: Clock;
  /** Drains the channel's outbox: replies, staff replies and recordings, within the pacing. */
  readonly sender: OutboxSender;
  private readonly apologies: ApologyLimiter;
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
    this.apologies = new ApologyLimiter(() => this.clock.now());
    const pacing = options.pacing ?? DEFAULT_PACING;
    const outbox = bot.store.outbox;
    this.sender = new OutboxSender({
      channel: WHATSAPP_CHANNEL,
      store: outbox,
      seal: bot.seal,
      transport: new WaTransport({
        client: () => (this.ready ? (this.client ?? null) : null),
        ready: () => new Promise<void>((r) => this.readyWaiters.push(r)),
        clock: this.clock,
        pacing,
        log,
        dataDir: options.dataDir,
      }),
      log,
      limits: {
        ...pacingLimits(pacing),
        ...(options.retryForMs === undefined ? {} : { retryForMs: options.retryForMs }),
      },
      now: () => this.clock.now(),
      storeNow: bot.clock,
      // A fake clock in tests moves the pauses too; real timers otherwise.
      sleep: options.clock ? senderSleep(this.clock) : undefined,
      hooks: {
        // The key of each message sent is kept beside the session, for a quick exit to delete it.
        sent: (row, ids) => {
          if (ids.length) bot.metrics?.repliesSent.inc({ channel: WHATSAPP_CHANNEL });
          return outbox.markSent(row.id, row.userKey, ids);
        },
        failed: (channel, reason) => bot.metrics?.sendFailures.inc({ channel, reason }),
      },
    });
  }

  /** Connects in the background; failures are retried, never thrown. */
  start(): void {
    this.stopped = false;
    this.bot.wakers.set(WHATSAPP_CHANNEL, (key) => this.sender.wake(key));
    // What an earlier run left in the outbox goes once the client is connected.
    this.sender.start();
    void this.connect();
  }

  /** Lets the outbox send for up to `graceMs`, then closes the client; what is left goes at the next start. */
  async stop(graceMs = 0): Promise<void> {
    this.bot.wakers.delete(WHATSAPP_CHANNEL);
    await this.sender.stop(this.ready ? graceMs : 0);
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
    this.since = this.clock.now() - (this.options.graceMs ?? DEFAULT_GRACE_MS);
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
      // Messages that waited while the client was down go now.
      this.sender.wake();
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
    const chat = incoming.chatId;
    try {
      // The reply is written to the outbox in the turn's transaction: once the message is
      // handled, its reply is never lost, whatever happens to the client or the process.
      const reply = await this.bot.handle({
        channel: WHATSAPP_CHANNEL,
        user: incoming.user,
        event: incoming.event,
        updateId: incoming.updateId,
        deliver: {
          address: chat,
          render: (messages, erase) => renderWhatsApp(messages, erase, this.options.dataDir !== undefined),
        },
      });
      if (!reply.session && !reply.duplicate) this.chats.delete(incoming.user);
      else this.chats.set(incoming.user, chat);
    } catch (e) {
      // The store cannot commit (the bot logs that once a minute): a short apology, sent directly.
      if (e instanceof StoreFault) {
        if (this.apologies.allow(chat)) await this.apologise(chat);
        return;
      }
      this.log.error(
        { event: 'turn_failed', reason: e instanceof Error ? e.name : 'error' },
        'whatsapp: a message could not be handled',
      );
    }
  }

  private async apologise(chat: string): Promise<void> {
    const client = this.ready ? this.client : undefined;
    if (!client) return;
    await client
      .sendMessage(chat, this.bot.apology(null))
      .catch((e) =>
        this.log.warn(
          { code: 'whatsapp.apology', reason: e instanceof Error ? e.name : 'error' },
          'the apology could not be sent',
        ),
      );
  }

  /**
   * Messages the bot starts itself (a staff member's reply): written to the outbox behind the
   * chat's replies, sent with the same pacing. Resolves once they are stored.
   */
  async sendTo(user: string, messages: readonly OutMessage[]): Promise<'sent'> {
    const chat = this.chats.get(user) ?? `${user}@c.us`;
    const payloads = messages
      .flatMap((m) => convertMessageToWhatsApp(m))
      .map((text): WaPayload => ({ m: 'text', text }));
    await this.bot.deliver(WHATSAPP_CHANNEL, user, chat, payloads, PRIORITY.relay);
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
}

function withDeadline<T>(work: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  return Promise.race([
    work,
    clock.sleep(ms).then(() => {
      throw new Error(`${what} took longer than ${Math.round(ms / 1000)} s`);
    }),
  ]);
}
