import type { Logger } from 'pino';
import { LogThrottle } from '../runtime/throttle.js';
import {
  type Claimed,
  type FailReason,
  type HoldReason,
  LEASE_MS,
  type OutboxStore,
  PRIORITY,
  type StoredOutgoing,
} from './contract.js';
import { Bucket } from './limiter.js';
import type { AddressSeal } from './seal.js';

/** What a channel's transport made of one outgoing call. */
export type SendOutcome =
  | { ok: true; ids?: string[] }
  /** The platform asks to wait (Telegram's 429 retry_after, in seconds). */
  | { ok: false; kind: 'retry_after'; seconds: number }
  /** 5xx, a network error, a timeout: worth trying again later. */
  | { ok: false; kind: 'transient'; reason: string }
  /** The person blocked the bot: everything of theirs goes. */
  | { ok: false; kind: 'blocked' }
  /** The platform will never take this message; `fail` is kept on the row (default "rejected"). */
  | { ok: false; kind: 'rejected'; reason: string; fail?: FailReason }
  /** Not to be tried until the person writes again (WhatsApp's 24-hour window): the row is held. */
  | { ok: false; kind: 'held'; reason: HoldReason }
  /** The token is not valid: nothing can be sent on this channel. */
  | { ok: false; kind: 'unauthorized' };

export interface Transport {
  send(address: string, payload: unknown): Promise<SendOutcome>;
}

export type SenderLimits = {
  /** Messages per second for the whole channel (Telegram: 30 per bot). */
  perSecond: number;
  /** Messages per second to one chat, sustained (Telegram: about 1). */
  perChatPerSecond: number;
  /** Messages a chat may get at once before the per-chat pace applies (a reply of a few messages). */
  chatBurst: number;
  /** How long 5xx and network errors are retried before the message is given up on. */
  retryForMs: number;
  /** The longest pause between two tries. */
  maxBackoffMs: number;
  /** Sends in flight at once. */
  concurrency: number;
  /** Messages the whole channel may send at once (default: a second's worth, at least 1). */
  burst?: number;
};

export const DEFAULT_LIMITS: SenderLimits = {
  perSecond: 30,
  perChatPerSecond: 1,
  chatBurst: 3,
  retryForMs: 24 * 3600_000,
  maxBackoffMs: 5 * 60_000,
  concurrency: 16,
};

/** The whole outbox is looked at this often; chats that got new messages are looked at at once. */
const SCAN_EVERY_MS = 1000;
const SCAN_LIMIT = 500;
/** How often held broadcast messages look whether the channel has stopped replying. */
const HOLD_POLL_MS = 20;
/** A failed message's row (its reason, no text or address) is kept this long for the operator. */
const FAILED_KEPT_MS = 7 * 86_400_000;

export type SenderHooks = {
  /**
   * After a message went: marks it sent and keeps its platform ids (for a quick exit to delete
   * later), in one transaction. Without it the row is just marked sent.
   */
  sent?: (row: Claimed, ids: string[]) => Promise<void> | void;
  /** The person blocked the bot: delete their session and pending messages. */
  blocked?: (userKey: string) => Promise<void> | void;
  /** The channel cannot send at all (a revoked token). */
  fatal?: (reason: string) => void;
  failed?: (channel: string, reason: string) => void;
  /** A message was held (it stays in the store until the person writes again). */
  held?: (row: Claimed, reason: HoldReason) => Promise<void> | void;
};

/**
 * Drains one channel's outbox: in order per chat (only a chat's oldest pending message is
 * sent, and one at a time), within the channel's limits, replies first. Every message ends
 * sent, failed with its reason, or deleted with its user; until then it stays in the store,
 * so a crash or a stop leaves it for the next start.
 */
export class OutboxSender {
  private running = false;
  private loop?: Promise<void>;
  private readonly busy = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly chats = new Map<string, Bucket>();
  private readonly global: Bucket;
  private pausedUntil = 0;
  private wakeUp: (() => void) | null = null;
  private readonly quiet = new LogThrottle();
  readonly limits: SenderLimits;

  constructor(
    private readonly options: {
      channel: string;
      store: OutboxStore;
      /** Opens the rows' sealed addresses and payloads. */
      seal: AddressSeal;
      transport: Transport;
      log: Logger;
      limits?: Partial<SenderLimits>;
      hooks?: SenderHooks;
      /** The clock of the limits and pauses. */
      now?: () => number;
      /** The store's clock (the app's), when it is not `now`: tests move it. */
      storeNow?: () => number;
      /**
       * True while the channel is answering someone (a turn in progress, its reply not all sent):
       * broadcast messages wait meanwhile, so replies always go first.
       */
      replying?: () => boolean;
      /** Waits by the clock of `now` (a fake clock in tests); a real timer by default. */
      sleep?: (ms: number) => Promise<void>;
    },
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.global = new Bucket(
      this.limits.perSecond,
      this.limits.burst ?? Math.max(1, this.limits.perSecond),
      this.now(),
    );
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The store's clock, which stamped the rows: due times and leases are in it. */
  private storeNow(): number {
    return (this.options.storeNow ?? this.options.now ?? Date.now)();
  }

  get channel(): string {
    return this.options.channel;
  }

  /** Starts draining, pending messages of an earlier run first. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * New messages were written (for `userKey`'s chat, when given): look now rather than at the
   * next scan. A chat named here is looked up by itself, which costs the same whatever the backlog.
   * `appended`: messages were only added after the chat's pending ones, so a next message already
   * claimed stays the next; otherwise (a forget took them) it is looked up again.
   */
  wake(userKey?: string, appended = false): void {
    if (userKey !== undefined) {
      if (!appended) this.ready.delete(userKey);
      if (!this.ready.has(userKey)) this.recheck.add(userKey);
    }
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /**
   * Sends what is due for up to `graceMs`, then stops. What is left stays for the next start;
   * a send still in flight at the end may go again then.
   */
  async stop(graceMs = 0): Promise<void> {
    const end = this.now() + graceMs;
    while (this.running && this.now() < end) {
      if (!this.inflight.size && !(await this.hasDue())) break;
      await new Promise((r) => setTimeout(r, 25));
      this.wake();
    }
    this.running = false;
    this.wake();
    await this.loop;
    for (const key of [...this.drains.keys()]) this.settleDrains(key);
    // Give a send in flight a moment to be marked; it goes again at the next start otherwise.
    await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 1000))]);
  }

  private async hasDue(): Promise<boolean> {
    // The loop is looking, or knows of something: wait for it rather than race its claims.
    if (this.ready.size || this.recheck.size || this.refilling) return true;
    try {
      const now = this.storeNow();
      const { backlog } = await this.options.store.stats(now, this.channel);
      if (!backlog) return false;
      // Something waits: is any of it due now (not a retry for later, not another instance's)?
      const found = await this.options.store.claim(this.channel, now, 1, this.busy);
      for (const row of found) this.keep(row, now);
      return found.length > 0;
    } catch {
      return false;
    }
  }

  /** A claimed row goes to the ready set, opened; one that cannot be opened is given up on. */
  private keep(stored: StoredOutgoing, now: number): void {
    let opened: { a: string; p: unknown };
    try {
      opened = JSON.parse(this.options.seal.open(Buffer.from(stored.body))) as { a: string; p: unknown };
    } catch {
      // Sealed with another key (USER_KEY_SECRET changed): it can never be sent.
      void this.giveUp(stored.id, 'unreadable').catch((e) => this.storeFault(e));
      return;
    }
    const { body: _, ...rest } = stored;
    this.ready.set(stored.userKey, { ...rest, address: opened.a, payload: opened.p });
    this.claimedAt.set(stored.userKey, now);
  }

  private sleep(ms: number): Promise<void> {
    const clockSleep = this.options.sleep;
    if (clockSleep)
      return new Promise((resolve) => {
        this.wakeUp = resolve;
        void clockSleep(ms).then(() => {
          if (this.wakeUp === resolve) this.wakeUp = null;
          resolve();
        });
      });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Waiting for a chat to have nothing left to send now. */
  private readonly drains = new Map<string, Array<() => void>>();

  /**
   * Resolves once the chat has nothing due left (all sent, or waiting for a retry), or after
   * `maxMs`: a channel's broadcast waits while its replies go.
   */
  drained(userKey: string, maxMs = 30_000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.drains.set(userKey, [...(this.drains.get(userKey) ?? []), done]);
      this.wake(userKey, true);
    });
  }

  private settleDrains(userKey: string): void {
    const list = this.drains.get(userKey);
    if (!list) return;
    this.drains.delete(userKey);
    for (const done of list) done();
  }

  /** Chats whose next message is known and due, by chat. */
  private readonly ready = new Map<string, Claimed>();
  /** When each ready chat's message was claimed: its lease must not end before it goes. */
  private readonly claimedAt = new Map<string, number>();
  /** Chats to look up by themselves: a turn wrote to them, or their last message just went. */
  private readonly recheck = new Set<string>();
  private nextScan = 0;
  private refilling = false;
  private nextPurge = 0;

  /**
   * Finds due messages: the whole outbox now and then (retries that came due, an earlier run's
   * messages), and the chats named since by themselves.
   */
  private async refill(now: number): Promise<void> {
    const { store } = this.options;
    const at = this.storeNow();
    if (now >= this.nextPurge) {
      this.nextPurge = now + 3600_000;
      await store.purge(at - FAILED_KEPT_MS);
    }
    if (now >= this.nextScan) {
      this.nextScan = now + SCAN_EVERY_MS;
      // A message held back (by the limits) for half its lease is let go, and claimed again.
      // Looked at with the scan, not after every message: a lease is far longer than a scan.
      for (const [key, claimed] of this.claimedAt) {
        if (at - claimed < LEASE_MS / 2) continue;
        this.claimedAt.delete(key);
        if (this.ready.delete(key)) this.recheck.add(key);
      }
      const skip = new Set([...this.busy, ...this.ready.keys()]);
      for (const row of await store.claim(this.channel, at, SCAN_LIMIT, skip)) this.keep(row, at);
    }
    const recheck = [...this.recheck];
    this.recheck.clear();
    for (const key of recheck) {
      if (this.busy.has(key) || this.ready.has(key)) continue;
      const row = await store.head(this.channel, key, at);
      if (row) this.keep(row, at);
      else this.settleDrains(key);
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.sleep(this.pausedUntil - now);
        continue;
      }
      try {
        this.refilling = true;
        await this.refill(now);
      } catch (e) {
        this.storeFault(e);
        this.ready.clear();
        this.claimedAt.clear();
        await this.sleep(1000);
        continue;
      } finally {
        this.refilling = false;
      }
      let wait = this.nextScan - now;
      // Replies first, then the oldest; with every send slot taken, nothing can go (nor be sorted).
      const full = this.inflight.size >= this.limits.concurrency;
      const order = full
        ? []
        : [...this.ready.values()].sort((a, b) => a.priority - b.priority || a.id - b.id);
      // Broadcast messages wait while a reply is on its way or waits for the limits.
      const hold =
        this.urgent > 0 ||
        (order[0] !== undefined && order[0].priority < PRIORITY.broadcast) ||
        this.options.replying?.() === true;
      for (const row of order) {
        if (this.inflight.size >= this.limits.concurrency) break;
        // A chat that waits to be drained is being answered: its broadcast message is the first
        // of its order, and the reply behind it goes after it.
        if (hold && row.priority >= PRIORITY.broadcast && !this.drains.has(row.userKey)) {
          // Nobody tells when the channel stops replying: look again soon.
          wait = Math.min(wait, HOLD_POLL_MS);
          continue;
        }
        let chat = this.chats.get(row.userKey);
        if (!chat) {
          chat = new Bucket(this.limits.perChatPerSecond, this.limits.chatBurst, now);
          this.chats.set(row.userKey, chat);
        }
        const chatWait = chat.wait(now);
        if (chatWait > 0) {
          wait = Math.min(wait, chatWait);
          continue;
        }
        const globalWait = this.global.take(now);
        if (globalWait > 0) {
          wait = Math.min(wait, globalWait);
          break;
        }
        chat.take(now);
        this.ready.delete(row.userKey);
        this.claimedAt.delete(row.userKey);
        this.dispatch(row);
      }
      if (this.chats.size > 10_000) {
        for (const [k, b] of this.chats) if (!this.busy.has(k) && b.full(now)) this.chats.delete(k);
      }
      if (this.recheck.size) continue;
      await this.sleep(Math.max(1, Math.min(wait, SCAN_EVERY_MS)));
    }
  }

  /** Replies and relays in flight. */
  private urgent = 0;

  private dispatch(row: Claimed): void {
    this.busy.add(row.userKey);
    const urgent = row.priority < PRIORITY.broadcast;
    if (urgent) this.urgent++;
    const p = this.options.transport
      .send(row.address, row.payload)
      .catch((e): { ok: false; kind: 'transient'; reason: string } => ({
        ok: false,
        kind: 'transient',
        reason: e instanceof Error ? e.message : String(e),
      }))
      .then((outcome) => this.settle(row, outcome))
      .catch((e) => this.storeFault(e))
      .finally(() => {
        if (urgent) this.urgent--;
        this.busy.delete(row.userKey);
        this.inflight.delete(p);
        // The chat's next message, if any, can go now.
        this.wake(row.userKey);
      });
    this.inflight.add(p);
  }

  private async settle(row: Claimed, outcome: SendOutcome): Promise<void> {
    const { store, log, hooks } = this.options;
    const now = this.now();
    const at = this.storeNow();
    if (outcome.ok) {
      if (hooks?.sent) await hooks.sent(row, outcome.ids ?? []);
      else await store.markSent(row.id, row.userKey, outcome.ids ?? []);
      return;
    }
    hooks?.failed?.(this.channel, outcome.kind);
    switch (outcome.kind) {
      case 'retry_after': {
        const wait = Math.max(1, outcome.seconds) * 1000;
        this.pausedUntil = Math.max(this.pausedUntil, now + wait);
        await store.retryAt(row.id, at + wait, 'retry_after');
        return;
      }
      case 'transient': {
        if (at - row.createdAt >= this.limits.retryForMs) {
          await this.giveUp(row.id, 'retries');
          return;
        }
        const backoff = Math.min(this.limits.maxBackoffMs, 1000 * 2 ** Math.min(row.attempts, 20));
        await store.retryAt(row.id, at + Math.round(backoff * (0.8 + Math.random() * 0.4)), 'transient');
        if (this.quiet.allow(`transient:${this.channel}`) !== null)
          log.warn(
            { code: 'outbox.transient', channel: this.channel, reason: outcome.reason },
            'send failed; retrying',
          );
        return;
      }
      case 'blocked':
        // The user's pending messages go (a broadcast's deliveries among them are marked blocked),
        // then their session and subscriptions.
        await store.deleteUser(row.userKey);
        await hooks?.blocked?.(row.userKey);
        return;
      case 'rejected':
        log.warn(
          { code: 'outbox.rejected', channel: this.channel, reason: outcome.reason },
          'message refused',
        );
        await this.giveUp(row.id, outcome.fail ?? 'rejected');
        return;
      case 'held':
        await store.hold(row.id, outcome.reason);
        await hooks?.held?.(row, outcome.reason);
        return;
      case 'unauthorized':
        this.running = false;
        hooks?.fatal?.('unauthorized');
        return;
    }
  }

  private async giveUp(id: number, reason: FailReason): Promise<void> {
    await this.options.store.markFailed(id, reason);
    this.options.log.warn({ code: 'outbox.failed', channel: this.channel, reason }, 'message given up on');
  }

  private storeFault(e: unknown): void {
    const skipped = this.quiet.allow(`store:${this.channel}`);
    if (skipped !== null)
      this.options.log.error(
        {
          code: 'outbox.store',
          channel: this.channel,
          err: e instanceof Error ? e.message : String(e),
          skipped,
        },
        'the outbox cannot be read or updated',
      );
  }
}
