import { z } from 'zod';
import { type Lang, LangSchema } from '../text/lang.js';

export const BroadcastTextsSchema = z.object({
  es: z.string().optional(),
  en: z.string().optional(),
  ht: z.string().optional(),
});
export type BroadcastTexts = z.infer<typeof BroadcastTextsSchema>;

export const BROADCAST_STATES = ['draft', 'queued', 'sending', 'done', 'cancelled'] as const;
export type BroadcastState = (typeof BROADCAST_STATES)[number];

export type Broadcast = {
  id: number;
  topic: string;
  texts: BroadcastTexts;
  /** Languages without a text: their readers get Spanish with a note. */
  missing: Lang[];
  status: BroadcastState;
  createdAt: number;
  queuedAt: number | null;
  doneAt: number | null;
};

/** The figures of `cli broadcast status --json`, with exactly these keys. */
export type BroadcastFigures = {
  queued: number;
  sent: number;
  failed: number;
  blocked: number;
  replies: number;
};

/** One message of a broadcast to one subscriber. */
export type Delivery = {
  id: number;
  broadcastId: number;
  userKey: string;
  channel: string;
  lang: Lang;
  /** Sealed (see store/address.ts). */
  address: string;
};

/** Broadcasts and subscribers, listed by the text report after the counts. */
export type BroadcastReport = {
  /** Every broadcast with its figures, newest first, whenever it was made. */
  broadcasts: Array<{
    id: number;
    topic: string;
    status: string;
    created: string;
    queued: number;
    sent: number;
    failed: number;
    blocked: number;
    replies: number;
  }>;
  /** People subscribed now, per topic and language. */
  subscribers: Array<{ topic: string; lang: string; count: number }>;
};

/**
 * How deliveries of one channel move into the outbox: at the channel's broadcast rate, on a
 * schedule kept in the database (shared by every instance), with no more than `ahead` broadcast
 * messages waiting in the outbox at once, so replies are never queued behind a whole broadcast.
 */
export type MovePlan = {
  channel: string;
  /** The pace's clock (ms). */
  now: number;
  /** Milliseconds between two broadcast messages: 1000 / BROADCAST_RATE. */
  gapMs: number;
  /** Lateness beyond this is forgiven rather than made up with a burst. */
  maxLateMs: number;
  /** Broadcast messages of the channel that may wait in the outbox at once. */
  ahead: number;
  /** Deliveries moved in one transaction at most. */
  limit: number;
};

/**
 * What one delivery becomes in the outbox: its messages, sealed. null: it can never be sent (its
 * address cannot be opened), and it is marked failed. undefined: not yet (its broadcast is not
 * known to the caller yet); nothing more is moved this time.
 */
export type RenderDelivery = (d: Delivery) => Uint8Array[] | null | undefined;

export type Moved = {
  /** The chats that got a broadcast message in the outbox: their sender looks at once. */
  keys: string[];
  /** How long before moving more is worth trying (ms). */
  waitMs: number;
  /** Nothing queued is left to move on the channel. */
  empty: boolean;
};

/**
 * Broadcasts and their deliveries. Deliveries are made once per (broadcast, subscriber) under a
 * unique constraint, in the same transaction that moves the broadcast from queued to sending, so
 * a crash at any point leaves either no rows or all of them. Each engine implements it.
 *
 * Several instances may move deliveries at once (PostgreSQL): `move` takes each delivery in a
 * transaction that skips rows another instance holds, so nobody is moved twice; the outbox then
 * sends what was moved and settles it.
 */
export interface BroadcastStore {
  create(topic: string, texts: BroadcastTexts, missing: Lang[]): Promise<number>;
  get(id: number): Promise<Broadcast | null>;
  list(): Promise<Broadcast[]>;
  /** draft → queued; false when the broadcast is not a draft. */
  queue(id: number): Promise<boolean>;
  /** Stops a broadcast; messages not sent yet are never sent. False when it had ended. */
  cancel(id: number): Promise<boolean>;
  figures(id: number): Promise<BroadcastFigures>;
  /** Turns queued broadcasts into one delivery per subscriber on these channels; returns their ids. */
  expand(channels: readonly string[]): Promise<number[]>;
  /**
   * Gives back the deliveries an earlier version claimed (a claim held until a time, which
   * `move` waits out) for `owner`, or every claim with null: the only instance, at start.
   */
  release(owner: string | null): Promise<void>;
  /**
   * Moves the channel's next queued deliveries into the outbox as broadcast-priority rows that
   * name their delivery, as many as the pace allows now, in one transaction: a delivery is in
   * the outbox or still to move, never both, whoever crashes when. The outbox settles it: sent,
   * failed, or blocked as its row ends (see OutboxStore); a cancel takes its row back.
   */
  move(plan: MovePlan, render: RenderDelivery): Promise<Moved>;
  /** Broadcasts with nothing left to send become done; returns their ids. */
  finish(at: number): Promise<number[]>;
  /** Every broadcast's figures and today's subscribers: counts only, no key or address. */
  report(): Promise<BroadcastReport>;
}

/** A broadcasts row, as either engine returns it. */
export type BroadcastRow = {
  id: number;
  topic: string;
  texts: string;
  missing: string;
  status: BroadcastState;
  created_at: number;
  queued_at: number | null;
  done_at: number | null;
};

export function toBroadcast(r: BroadcastRow): Broadcast {
  return {
    id: r.id,
    topic: r.topic,
    texts: BroadcastTextsSchema.parse(JSON.parse(r.texts)),
    missing: r.missing ? r.missing.split(',').map((l) => LangSchema.parse(l)) : [],
    status: r.status,
    createdAt: r.created_at,
    queuedAt: r.queued_at,
    doneAt: r.done_at,
  };
}
