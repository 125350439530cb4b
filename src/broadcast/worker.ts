import type { Logger } from 'pino';
import type { AddressSeal } from '../outbox/seal.js';
import type { AddressBox } from '../store/address.js';
import { type OutboxBroadcast, OutboxFeed } from './feeder.js';
import type { BroadcastStore } from './store.js';

export type WorkerOptions = {
  store: BroadcastStore;
  /** The channels that send broadcasts: their messages go through each channel's outbox. */
  outboxes: readonly OutboxBroadcast[];
  /** Seals the outbox rows' addresses and texts (the bot's). */
  seal: AddressSeal;
  addresses: AddressBox;
  log: Logger;
  /**
   * The only instance that sends (SQLite): deliveries an earlier version claimed and never
   * sent are given back at start, not after their claim runs out.
   */
  alone?: boolean;
  /** How long to wait when nothing is queued, before looking again. */
  idleMs?: number;
  now?: () => number;
};

/**
 * Moves queued broadcasts from the database into the channels' outboxes, one paced loop per
 * channel. Each message is a row, moved in the same transaction that marks it moved; the
 * outbox's sender sends it after the replies and settles it. After a crash the rows still
 * queued are taken up: nobody is missed. Two instances never move the same row.
 */
export class BroadcastWorker {
  private running = false;
  private loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];
  private readonly now: () => number;
  private ready: Promise<void> = Promise.resolve();

  constructor(private readonly o: WorkerOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.ready = this.o.alone ? this.o.store.release(null).catch(() => {}) : Promise.resolve();
    for (const route of this.o.outboxes) this.loops.push(this.feed(route));
  }

  /** Every channel that sends broadcasts: a queued broadcast is expanded for all of them at once. */
  private get channels(): string[] {
    return this.o.outboxes.map((r) => r.channel);
  }

  /** Finishes the step in progress, then stops; what is in the outboxes stays there. */
  async stop(): Promise<void> {
    this.running = false;
    for (const w of this.wake.splice(0)) w();
    await Promise.allSettled(this.loops);
    this.loops = [];
  }

  /** Looks for queued broadcasts now rather than after the idle wait. */
  poke(): void {
    for (const w of this.wake.splice(0)) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = self.wake.filter((w) => w !== done);
        resolve();
      }
      this.wake.push(done);
    });
  }

  /** A channel with an outbox: its deliveries move into it at its rate. */
  private async feed(route: OutboxBroadcast): Promise<void> {
    const { store, log } = this.o;
    const feed = new OutboxFeed(route, {
      store,
      addresses: this.o.addresses,
      seal: this.o.seal,
      log,
    });
    let expand = true;
    await this.ready;
    while (this.running) {
      try {
        if (expand) {
          const started = await store.expand(this.channels);
          for (const id of started) log.info({ code: 'broadcast.started', id }, 'broadcast started');
          expand = false;
        }
        const step = await feed.step(this.now());
        if (step.empty) {
          for (const id of await store.finish(this.now()))
            log.info({ code: 'broadcast.done', id }, 'broadcast done');
          expand = true;
          feed.forget();
          await this.sleep(this.o.idleMs ?? 1000);
          continue;
        }
        await new Promise((r) => setTimeout(r, step.pauseMs));
      } catch (e) {
        log.error(
          {
            code: 'broadcast.loop',
            channel: route.channel,
            err: e instanceof Error ? e.message : String(e),
          },
          'the broadcast loop failed; it tries again',
        );
        await this.sleep(this.o.idleMs ?? 1000);
      }
    }
  }
}
