import type { Logger } from 'pino';
import type { Bot } from '../../runtime/bot.js';
import type { WaClient, WaClientFactory, WaMessage } from './client.js';
import { convertMessageToWhatsApp, convertWaMessageToIncoming } from './convert.js';
import { type Clock, DEFAULT_PACING, Pacer, type PacerOptions, realClock } from './pacer.js';

export const WHATSAPP_CHANNEL = 'whatsapp';

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
  readonly pacer: Pacer;

  constructor(
    private readonly bot: Bot,
    private readonly log: Logger,
    private readonly options: WhatsAppOptions,
  ) {
    this.clock = options.clock ?? realClock;
    this.pacer = new Pacer(
      (chat, text) => this.deliver(chat, text),
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
    const current = () => generation === this.generation && !this.stopped;
    client.on('qr', (qr) => {
      if (!current()) return;
      this.log.info({ event: 'qr' }, 'whatsapp: scan the QR code with the phone (Linked devices)');
      this.options.onQr?.(qr);
    });
    client.on(
      'authenticated',
      () => current() && this.log.info({ event: 'authenticated' }, 'whatsapp: authenticated'),
    );
    client.on('auth_failure', (reason) => {
      if (!current()) return;
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
      for (const w of this.readyWaiters.splice(0)) w();
    });
    client.on('disconnected', (reason) => {
      if (!current()) return;
      this.log.warn({ event: 'disconnected', reason }, 'whatsapp: disconnected');
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

  private onMessage(message: WaMessage): void {
    const incoming = convertWaMessageToIncoming(message, this.since);
    if ('ignore' in incoming) {
      this.log.debug({ reason: incoming.ignore }, 'whatsapp message ignored');
      return;
    }
    try {
      const reply = this.bot.handle({
        channel: WHATSAPP_CHANNEL,
        user: incoming.user,
        event: incoming.event,
        updateId: incoming.updateId,
      });
      for (const out of reply.messages) {
        for (const part of convertMessageToWhatsApp(out)) {
          this.pacer
            .enqueue(incoming.chatId, part)
            .catch((e) =>
              this.log.error(
                { event: 'send_failed', reason: String(e) },
                'whatsapp: a reply could not be sent',
              ),
            );
        }
      }
    } catch (e) {
      this.log.error(
        { event: 'turn_failed', reason: e instanceof Error ? e.message : String(e) },
        'whatsapp: a message could not be handled',
      );
    }
  }

  /** Sends through whichever client is connected now, waiting for one after a reconnect. */
  private async deliver(chatId: string, text: string): Promise<void> {
    if (!this.ready) await new Promise<void>((r) => this.readyWaiters.push(r));
    await this.client!.sendMessage(chatId, text);
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
