import type { Transaction } from 'better-sqlite3';
import { nextDue, slots } from '../../broadcast/schedule.js';
import {
  type Broadcast,
  type BroadcastFigures,
  type BroadcastReport,
  type BroadcastRow,
  type BroadcastStore,
  type BroadcastTexts,
  type Delivery,
  type Moved,
  type MovePlan,
  type RenderDelivery,
  toBroadcast,
} from '../../broadcast/store.js';
import { OUTBOX_STATE, PRIORITY } from '../../outbox/contract.js';
import type { Lang } from '../../text/lang.js';
import type { Db } from './db.js';

type DeliveryRow = {
  id: number;
  broadcast_id: number;
  user_key: string;
  channel: string;
  lang: Lang;
  address: string;
};

/**
 * Broadcasts on SQLite. One process writes the file, so `move` is a plain immediate transaction;
 * a claim left by an earlier version is given back when the worker starts (`release`).
 */
export class SqliteBroadcasts implements BroadcastStore {
  private readonly moveTx: Transaction<(plan: MovePlan, render: RenderDelivery) => Moved>;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    // A delivery that can never be sent fails; its address is not needed any more: it goes.
    const unsendable = db.prepare<[number, number]>(
      `UPDATE broadcast_deliveries SET state = 'failed', sent_at = ?, address = '', claimed_by = ''
       WHERE id = ? AND state = 'queued'`,
    );
    const waiting = db.prepare<[string, number], { n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM outbox
       WHERE channel = ? AND priority = ${PRIORITY.broadcast} AND state = ${OUTBOX_STATE.pending} LIMIT ?)`,
    );
    const dueOf = db.prepare<[string], { due: number }>('SELECT due FROM broadcast_pace WHERE channel = ?');
    const setDue = db.prepare<[string, number]>(
      'INSERT INTO broadcast_pace (channel, due) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET due = excluded.due',
    );
    // A delivery whose row is in the outbox is not moved again.
    const next = db.prepare<[string, number, number], DeliveryRow>(
      `SELECT id, broadcast_id, user_key, channel, lang, address FROM broadcast_deliveries d
       WHERE channel = ? AND state = 'queued' AND claimed_until <= ?
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.delivery_id = d.id)
       ORDER BY id LIMIT ?`,
    );
    const insert = db.prepare<[string, string, Buffer, number, number, number]>(
      `INSERT INTO outbox (channel, user_key, priority, state, body, created_at, next_at, delivery_id)
       VALUES (?, ?, ${PRIORITY.broadcast}, 0, ?, ?, ?, ?)`,
    );
    this.moveTx = db.transaction((plan: MovePlan, render: RenderDelivery): Moved => {
      const room = plan.ahead - waiting.get(plan.channel, plan.ahead)!.n;
      // The outbox holds enough of the broadcast already: look again in about one message's time.
      const soon = Math.min(Math.max(plan.gapMs, 5), 50);
      if (room <= 0) return { keys: [], waitMs: soon, empty: false };
      const { start, count } = slots(dueOf.get(plan.channel)?.due ?? 0, plan);
      if (!count) return { keys: [], waitMs: start - plan.now, empty: false };
      const rows = next.all(plan.channel, plan.now, Math.min(count, room, plan.limit));
      if (!rows.length) {
        setDue.run(plan.channel, 0);
        return { keys: [], waitMs: 0, empty: true };
      }
      const at = this.now();
      const keys: string[] = [];
      let messages = 0;
      for (const r of rows) {
        const bodies = render(toDelivery(r));
        if (bodies === undefined) break;
        if (bodies === null || !bodies.length) {
          unsendable.run(at, r.id);
          continue;
        }
        for (const body of bodies) insert.run(r.channel, r.user_key, Buffer.from(body), at, at, r.id);
        messages += bodies.length;
        keys.push(r.user_key);
      }
      const due = nextDue(start, messages, plan.gapMs);
      if (messages) setDue.run(plan.channel, due);
      return { keys, waitMs: messages ? Math.max(0, due - plan.now) : soon, empty: false };
    });
  }

  async move(plan: MovePlan, render: RenderDelivery): Promise<Moved> {
    return this.moveTx.immediate(plan, render);
  }

  async create(topic: string, texts: BroadcastTexts, missing: Lang[]): Promise<number> {
    const r = this.db
      .prepare(
        `INSERT INTO broadcasts (topic, texts, missing, status, created_at) VALUES (?, ?, ?, 'draft', ?) RETURNING id`,
      )
      .get(topic, JSON.stringify(texts), missing.join(','), this.now()) as { id: number };
    return r.id;
  }

  async get(id: number): Promise<Broadcast | null> {
    const r = this.db.prepare('SELECT * FROM broadcasts WHERE id = ?').get(id) as BroadcastRow | undefined;
    return r ? toBroadcast(r) : null;
  }

  async list(): Promise<Broadcast[]> {
    return (this.db.prepare('SELECT * FROM broadcasts ORDER BY id').all() as BroadcastRow[]).map(toBroadcast);
  }

  async queue(id: number): Promise<boolean> {
    return (
      this.db
        .prepare(`UPDATE broadcasts SET status = 'queued', queued_at = ? WHERE id = ? AND status = 'draft'`)
        .run(this.now(), id).changes > 0
    );
  }

  async cancel(id: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        const changed = this.db
          .prepare(
            `UPDATE broadcasts SET status = 'cancelled', done_at = ? WHERE id = ? AND status IN ('draft', 'queued', 'sending')`,
          )
          .run(this.now(), id).changes;
        if (changed) {
          // What waits in the outbox goes too; a message already on its way settles nothing.
          this.db
            .prepare(
              `DELETE FROM outbox WHERE state = ${OUTBOX_STATE.pending} AND delivery_id IN
               (SELECT id FROM broadcast_deliveries WHERE broadcast_id = ? AND state = 'queued')`,
            )
            .run(id);
          this.db
            .prepare(
              `UPDATE broadcast_deliveries SET state = 'cancelled', address = '' WHERE broadcast_id = ? AND state = 'queued'`,
            )
            .run(id);
        }
        return changed > 0;
      })
      .immediate();
  }

  async figures(id: number): Promise<BroadcastFigures> {
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

  async expand(channels: readonly string[]): Promise<number[]> {
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

  async release(owner: string | null): Promise<void> {
    this.db
      .prepare(
        `UPDATE broadcast_deliveries SET claimed_until = 0, claimed_by = ''
         WHERE (claimed_by = @owner OR @owner IS NULL) AND claimed_until > 0 AND state = 'queued'`,
      )
      .run({ owner });
  }

  async finish(at: number): Promise<number[]> {
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

  async report(): Promise<BroadcastReport> {
    const broadcasts = (
      this.db
        .prepare(
          `SELECT b.id, b.topic, b.status, b.created_at AS created,
           coalesce(sum(d.state = 'queued'), 0) AS queued, coalesce(sum(d.state = 'sent'), 0) AS sent,
           coalesce(sum(d.state = 'failed'), 0) AS failed, coalesce(sum(d.state = 'blocked'), 0) AS blocked,
           coalesce(sum(d.replied), 0) AS replies
         FROM broadcasts b LEFT JOIN broadcast_deliveries d ON d.broadcast_id = b.id
         GROUP BY b.id ORDER BY b.id DESC`,
        )
        .all() as Array<Omit<BroadcastReport['broadcasts'][number], 'created'> & { created: number }>
    ).map((b) => ({ ...b, created: new Date(b.created).toISOString() }));
    const subscribers = this.db
      .prepare(
        'SELECT topic, lang, count(*) AS count FROM subscriptions GROUP BY topic, lang ORDER BY topic, lang',
      )
      .all() as BroadcastReport['subscribers'];
    return { broadcasts, subscribers };
  }
}

function toDelivery(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    broadcastId: r.broadcast_id,
    userKey: r.user_key,
    channel: r.channel,
    lang: r.lang,
    address: r.address,
  };
}
