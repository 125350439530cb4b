import type { Logger } from 'pino';
import type { AddressSeal } from '../outbox/seal.js';
import type { AddressBox } from '../store/address.js';
import type { Lang } from '../text/lang.js';
import type { Broadcast, BroadcastStore, Delivery, MovePlan } from './store.js';

/**
 * A channel whose broadcast messages go through its outbox: its sender sends them with the
 * replies, within the same limits, with the same retries and the same handling of a blocked
 * user, and replies first.
 */
export interface OutboxBroadcast {
  readonly channel: string;
  /** Broadcast messages per second (BROADCAST_RATE, or 80 % of the channel's limit). */
  readonly rate: number;
  /** One subscriber's message as the channel's outbox calls (its transport's payloads). */
  render(broadcast: Broadcast, lang: Lang): unknown[];
  /** The outbox address of a subscriber's stored address, when the channel's differs. */
  address?(user: string): string;
  /** Tells the channel's sender that a chat has a message waiting. */
  wake(userKey: string): void;
}

/**
 * How much of a broadcast may wait in the outbox at once: a tenth of a second of it, at least
 * this. Enough to ride out a pause of the loop; little enough that the sender never has a
 * crowd of broadcast messages to sort through, and that a cancel finds most of it still here.
 */
const AHEAD_MIN = 10;
const AHEAD_S = 0.1;
/** The shortest pause between two moves: at high rates several messages move at once. */
const MIN_PAUSE_MS = 5;
const MAX_PAUSE_MS = 100;
/**
 * How late a broadcast may fall behind its schedule and still catch up: after a longer pause
 * (a busy machine, replies going first) the lost time is forgiven, so it never comes out as a burst.
 */
const MAX_LATE_MS = 2000;

export type FeedStep = { pauseMs: number; empty: boolean };

/**
 * How a channel's deliveries move at `rate` a second. Below one a second (WhatsApp Web, at most
 * 10 a minute) a pause is never made up and one message at a time waits in the outbox, so a
 * slow or disconnected channel never sends a burst afterwards.
 */
export function movePlan(channel: string, rate: number): Omit<MovePlan, 'now'> {
  const gapMs = 1000 / rate;
  if (rate < 1) return { channel, gapMs, maxLateMs: 0, ahead: 1, limit: 1 };
  const ahead = Math.max(AHEAD_MIN, Math.ceil(rate * AHEAD_S));
  return { channel, gapMs, maxLateMs: Math.max(MAX_LATE_MS, 2 * gapMs), ahead, limit: ahead };
}

/**
 * Moves one channel's queued deliveries into its outbox at the channel's broadcast rate. The
 * schedule is in the database, so a restart goes on with it and several instances share it.
 */
export class OutboxFeed {
  private readonly broadcasts = new Map<number, Broadcast | null>();
  private readonly made = new Map<string, unknown[]>();
  private readonly plan: Omit<MovePlan, 'now'>;

  constructor(
    private readonly route: OutboxBroadcast,
    private readonly o: {
      store: BroadcastStore;
      addresses: AddressBox;
      seal: AddressSeal;
      log: Logger;
    },
  ) {
    this.plan = movePlan(route.channel, route.rate);
  }

  get channel(): string {
    return this.route.channel;
  }

  /** Moves what the pace allows now; says how long to wait before the next step. */
  async step(now: number): Promise<FeedStep> {
    const unknown = new Set<number>();
    const moved = await this.o.store.move({ ...this.plan, now }, (d) => this.bodies(d, unknown));
    for (const key of moved.keys) this.route.wake(key);
    if (unknown.size) {
      for (const id of unknown) {
        const b = await this.o.store.get(id);
        this.broadcasts.set(id, b?.status === 'sending' ? b : null);
      }
      return { pauseMs: MIN_PAUSE_MS, empty: false };
    }
    return {
      pauseMs: Math.min(Math.max(moved.waitMs, MIN_PAUSE_MS), MAX_PAUSE_MS),
      empty: moved.empty,
    };
  }

  /** Between broadcasts: what was learnt of the last ones goes. */
  forget(): void {
    this.broadcasts.clear();
    this.made.clear();
  }

  /** The sealed outbox bodies of one delivery: undefined until its broadcast is known here. */
  private bodies(d: Delivery, unknown: Set<number>): Uint8Array[] | null | undefined {
    const b = this.broadcasts.get(d.broadcastId);
    if (b === undefined) {
      unknown.add(d.broadcastId);
      return undefined;
    }
    // Not sending (cancelled meanwhile): looked up again; a cancel settles its deliveries.
    if (b === null) {
      unknown.add(d.broadcastId);
      return undefined;
    }
    const address = this.o.addresses.open(d.channel, d.address);
    if (address === null) {
      this.o.log.warn(
        { code: 'broadcast.address', channel: d.channel },
        'an address could not be opened: was the user key secret changed?',
      );
      return null;
    }
    const to = this.route.address ? this.route.address(address) : address;
    const key = `${b.id}:${d.lang}`;
    let payloads = this.made.get(key);
    if (!payloads) {
      payloads = this.route.render(b, d.lang);
      this.made.set(key, payloads);
    }
    return payloads.map((p) => this.o.seal.seal(JSON.stringify({ a: to, p })));
  }
}
