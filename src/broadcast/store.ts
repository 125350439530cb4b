import { z } from 'zod';
import type { Db } from '../store/db.js';
import { DAY } from '../store/times.js';
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

export type DeliveryOutcome = 'sent' | 'failed' | 'blocked';

/**
 * Broadcasts and their deliveries. Deliveries are made once per (broadcast, subscriber) under a
 * unique constraint, in the same transaction that moves the broadcast from queued to sending, so
 * a crash at any point leaves either no rows or all of them. A PostgreSQL store implements the same.
 */
export interface BroadcastStore {
  create(topic: string, texts: BroadcastTexts, missing: Lang[]): number;
  get(id: number): Broadcast | null;
  list(): Broadcast[];
  /** draft → queued; false when the broadcast is not a draft. */
  queue(id: number): boolean;
  /** Stops a broadcast; messages not sent yet are never sent. False when it had ended. */
  cancel(id: number): boolean;
  figures(id: number): BroadcastFigures;
  /** Turns queued broadcasts into one delivery per subscriber on these channels; returns their ids. */
  expand(channels: readonly string[]): number[];
  /** The next deliveries to send on a channel, oldest broadcast first. */
  next(channel: string, limit: number, after?: number): Delivery[];
  settle(id: number, outcome: DeliveryOutcome, at: number): void;
  /** Broadcasts with nothing left to send become done; returns their ids. */
  finish(at: number): number[];
  /** A user wrote: a broadcast message they got in the last 24 hours counts a reply. */
  noteReply(userKey: string, at: number): void;
}

type BroadcastRow = {
  id: number;
  topic: string;
  texts: string;
  missing: string;
  status: BroadcastState;
  created_at: number;
  queued_at: number | null;
  done_at: number | null;
};

function toBroadcast(r: BroadcastRow): Broadcast {
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

export class SqliteBroadcasts implements BroadcastStore {
  private readonly nextStmt;
  private readonly settleStmt;
  private readonly replyStmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.nextStmt = db.prepare<
      [string, number, number],
      { id: number; broadcast_id: number; user_key: string; channel: string; lang: Lang; address: string }
    >(
      `SELECT d.id, d.broadcast_id, d.user_key, d.channel, d.lang, d.address
       FROM broadcast_deliveries d
       WHERE d.channel = ? AND d.state = 'queued' AND d.id > ?
       ORDER BY d.id LIMIT ?`,
    );
    // A sent message's address is not needed any more: it goes.
    this.settleStmt = db.prepare(
      `UPDATE broadcast_deliveries SET state = ?, sent_at = ?, address = '' WHERE id = ? AND state = 'queued'`,
    );
    this.replyStmt = db.prepare(
      `UPDATE broadcast_deliveries SET replied = 1
       WHERE user_key = ? AND state = 'sent' AND replied = 0 AND sent_at > ?`,
    );
  }

  create(topic: string, texts: BroadcastTexts, missing: Lang[]): number {
    const r = this.db
      .prepare(
        `INSERT INTO broadcasts (topic, texts, missing, status, created_at) VALUES (?, ?, ?, 'draft', ?) RETURNING id`,
      )
      .get(topic, JSON.stringify(texts), missing.join(','), this.now()) as { id: number };
    return r.id;
  }

  get(id: number): Broadcast | null {
    const r = this.db.prepare('SELECT * FROM broadcasts WHERE id = ?').get(id) as BroadcastRow | undefined;
    return r ? toBroadcast(r) : null;
  }

  list(): Broadcast[] {
    return (this.db.prepare('SELECT * FROM broadcasts ORDER BY id').all() as BroadcastRow[]).map(toBroadcast);
  }

  queue(id: number): boolean {
    return (
      this.db
        .prepare(`UPDATE broadcasts SET status = 'queued', queued_at = ? WHERE id = ? AND status = 'draft'`)
        .run(this.now(), id).changes > 0
    );
  }

  cancel(id: number): boolean {
    return this.db
      .transaction(() => {
        const changed = this.db
          .prepare(
            `UPDATE broadcasts SET status = 'cancelled', done_at = ? WHERE id = ? AND status IN ('draft', 'queued', 'sending')`,
          )
          .run(this.now(), id).changes;
        if (changed)
          this.db
            .prepare(
              `UPDATE broadcast_deliveries SET state = 'cancelled', address = '' WHERE broadcast_id = ? AND state = 'queued'`,
            )
            .run(id);
        return changed > 0;
      })
      .immediate();
  }

  figures(id: number): BroadcastFigures {
    const r = this.db
      .prepare(
        `SELECT
           coalesce(sum(state = 'queued'), 0) AS queued,
           coalesce(sum(state = 'sent'), 0) AS sent,
           coalesce(sum(state = 'failed'), 0) AS failed,
           coalesce(sum(state = 'blocked'), 0) AS blocked,
           coalesce(sum(replied), 0) AS replies
         FROM broadcast_deliveries WHERE broadcast_id = ?`,
      )
      .get(id) as BroadcastFigures;
    return { queued: r.queued, sent: r.sent, failed: r.failed, blocked: r.blocked, replies: r.replies };
  }

  expand(channels: readonly string[]): number[] {
    const on = JSON.stringify(channels);
    return this.db
      .transaction(() => {
        const queued = this.db
          .prepare(`SELECT id, topic FROM broadcasts WHERE status = 'queued' ORDER BY id`)
          .all() as Array<{ id: number; topic: string }>;
        for (const b of queued) {
          this.db
            .prepare(
              `INSERT INTO broadcast_deliveries (broadcast_id, user_key, channel, lang, address, state)
             SELECT ?, user_key, channel, lang, address, 'queued' FROM subscriptions
             WHERE topic = ? AND channel IN (SELECT value FROM json_each(?))
             ORDER BY user_key
             ON CONFLICT (broadcast_id, user_key) DO NOTHING`,
            )
            .run(b.id, b.topic, on);
          this.db.prepare(`UPDATE broadcasts SET status = 'sending' WHERE id = ?`).run(b.id);
        }
        return queued.map((b) => b.id);
      })
      .immediate();
  }

  next(channel: string, limit: number, after = 0): Delivery[] {
    return this.nextStmt.all(channel, after, limit).map((r) => ({
      id: r.id,
      broadcastId: r.broadcast_id,
      userKey: r.user_key,
      channel: r.channel,
      lang: r.lang,
      address: r.address,
    }));
  }

  settle(id: number, outcome: DeliveryOutcome, at: number): void {
    this.settleStmt.run(outcome, at, id);
  }

  finish(at: number): number[] {
    return this.db
      .transaction(() => {
        const done = this.db
          .prepare(
            `SELECT b.id FROM broadcasts b WHERE b.status = 'sending' AND NOT EXISTS
             (SELECT 1 FROM broadcast_deliveries d WHERE d.broadcast_id = b.id AND d.state = 'queued')`,
          )
          .all() as Array<{ id: number }>;
        for (const b of done)
          this.db.prepare(`UPDATE broadcasts SET status = 'done', done_at = ? WHERE id = ?`).run(at, b.id);
        return done.map((b) => b.id);
      })
      .immediate();
  }

  noteReply(userKey: string, at: number): void {
    this.replyStmt.run(userKey, at - DAY);
  }
}
