import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AddressSeal } from '../outbox/seal.js';
import type { AddressBox } from '../store/address.js';
import type { Lang } from '../text/lang.js';
import { type OutboxBroadcast, OutboxFeed } from './feeder.js';
import { Pace } from './pace.js';
import type { ReplyPriority } from './priority.js';
import type { Broadcast, BroadcastStore, Delivery, DeliveryOutcome } from './store.js';

/** What a channel does with one broadcast message. */
export interface BroadcastSender {
  readonly channel: string;
  /** Messages per second. */
  readonly rate: number;
  /** Sends to one subscriber; never throws. "blocked": the user blocked the bot. */
  send(message: { address: string; lang: Lang; broadcast: Broadcast }): Promise<DeliveryOutcome>;
}

export type WorkerOptions = {
  store: BroadcastStore;
  /** Channels that send broadcast messages themselves, paced here. */
  senders: readonly BroadcastSender[];
  /** Channels whose broadcast messages go through their outbox; `seal` is then required. */
  outboxes?: readonly OutboxBroadcast[];
  /** Seals the outbox rows' addresses and texts (the bot's). */
  seal?: AddressSeal;
  priority: ReplyPriority;
  addresses: AddressBox;
  log: Logger;
  /** A user who blocked the bot: their subscriptions and session are deleted. */
  onBlocked: (channel: string, address: string) => Promise<void> | void;
  /**
   * The only instance that sends (SQLite): what an earlier process claimed and never sent is
   * given back at start, not after its claim runs out. With several instances, claims run out.
   */
  alone?: boolean;
  /** How long to wait when nothing is queued, before looking again. */
  idleMs?: number;
  /** Messages sent at once on a channel, so a slow answer does not slow the rate; by default 4, more above 200/s. */
  inFlight?: number;
  now?: () => number;
};

/**
 * Sends queued broadcasts from the database, one paced loop per channel. Each message is a row.
 * On a channel with an outbox, the loop moves rows into it at the channel's rate, each in the
 * same transaction that marks it moved, and the outbox's sender sends them after the replies and
 * settles them. On a channel without one, the row is claimed by this worker before it is sent and
 * marked when its send settles. Either way, after a crash the rows still queued are taken up:
 * nobody is missed, and only a message in flight at the crash can arrive twice. Two instances
 * never take the same row.
 */
export class BroadcastWorker {
  private running = false;
  private loops: Promise<void>[] = [];
  private wake: Array<() => void> = [];
  private readonly now: () => number;
  /** This worker's name on its claims. */
  private readonly owner = randomUUID();
  private ready: Promise<void> = Promise.resolve();

  constructor(private readonly o: WorkerOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.ready = this.o.alone ? this.o.store.release(null).catch(() => {}) : Promise.resolve();
    for (const sender of this.o.senders) this.loops.push(this.loop(sender));
    for (const route of this.o.outboxes ?? []) this.loops.push(this.feed(route));
  }

  /** Every channel that sends broadcasts: a queued broadcast is expanded for all of them at once. */
  private get channels(): string[] {
    return [...this.o.senders.map((s) => s.channel), ...(this.o.outboxes ?? []).map((r) => r.channel)];
  }

  /** Finishes the messages in flight, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    for (const w of this.wake.splice(0)) w();
    await Promise.allSettled(this.loops);
    this.loops = [];
    // What was claimed and not sent goes back, for the next start or another instance.
    await this.o.store.release(this.owner).catch(() => {});
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

  private async loop(sender: BroadcastSender): Promise<void> {
    const { store, log } = this.o;
    const pace = new Pace(sender.rate);
    const batch = Math.max(1, Math.ceil(sender.rate));
    // Enough messages on their way that a slow answer does not lower the rate: 4, or more above 200/s.
    const maxInFlight = Math.max(1, this.o.inFlight ?? Math.max(4, Math.ceil(sender.rate / 50)));
    const inFlight = new Set<Promise<void>>();
    const broadcasts = new Map<number, Broadcast | null>();
    let expand = true;
    await this.ready;
    while (this.running) {
      try {
        if (expand) {
          const started = await store.expand(this.channels);
          for (const id of started) log.info({ code: 'broadcast.started', id }, 'broadcast started');
          expand = false;
        }
        const next = await store.claim(sender.channel, batch, this.owner, this.now());
        if (!next.length) {
          await Promise.allSettled(inFlight);
          for (const id of await store.finish(this.now()))
            log.info({ code: 'broadcast.done', id }, 'broadcast done');
          expand = true;
          broadcasts.clear();
          // The next broadcast starts on time, not late by the idle wait.
          pace.reset();
          await this.sleep(this.o.idleMs ?? 1000);
          continue;
        }
        // A broadcast cancelled since the last batch sends nothing more.
        broadcasts.clear();
        for (const d of next) {
          if (!this.running) break;
          let b = broadcasts.get(d.broadcastId);
          if (b === undefined) {
            b = await store.get(d.broadcastId);
            broadcasts.set(d.broadcastId, b?.status === 'sending' ? b : null);
            b = broadcasts.get(d.broadcastId)!;
          }
          if (!b) continue;
          await this.o.priority.idle(sender.channel);
          for (let hold = pace.wait(this.now()); hold > 0; hold = pace.wait(this.now()))
            await new Promise((r) => setTimeout(r, hold));
          pace.took(this.now());
          while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
          const job = this.deliver(sender, d, b);
          inFlight.add(job);
          void job.finally(() => inFlight.delete(job));
        }
      } catch (e) {
        log.error(
          {
            code: 'broadcast.loop',
            channel: sender.channel,
            err: e instanceof Error ? e.message : String(e),
          },
          'the broadcast loop failed; it tries again',
        );
        await this.sleep(this.o.idleMs ?? 1000);
      }
    }
    await Promise.allSettled(inFlight);
  }

  /** A channel with an outbox: its deliveries move into it at its rate. */
  private async feed(route: OutboxBroadcast): Promise<void> {
    const { store, log } = this.o;
    if (!this.o.seal) throw new Error('broadcasts through the outbox need the seal');
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

  private async deliver(sender: BroadcastSender, d: Delivery, b: Broadcast): Promise<void> {
    const { store, log } = this.o;
    const address = this.o.addresses.open(d.channel, d.address);
    if (address === null) {
      await store.settle(d.id, 'failed', this.now());
      log.warn(
        { code: 'broadcast.address', channel: d.channel },
        'an address could not be opened: was the user key secret changed?',
      );
      return;
    }
    let outcome: DeliveryOutcome;
    try {
      outcome = await sender.send({ address, lang: d.lang, broadcast: b });
    } catch (e) {
      log.warn(
        { code: 'broadcast.send', channel: d.channel, err: e instanceof Error ? e.message : String(e) },
        'a broadcast message failed',
      );
      outcome = 'failed';
    }
    await store.settle(d.id, outcome, this.now());
    if (outcome === 'blocked') await this.o.onBlocked(d.channel, address);
  }
}
