import type pg from 'pg';
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
import { inTransaction } from './transaction.js';

type DeliveryRow = {
  id: number;
  broadcast_id: number;
  user_key: string;
  channel: string;
  lang: Lang;
  address: string;
};

/**
 * Broadcasts on PostgreSQL, where several instances may send at once: queued broadcasts are
 * expanded by one of them (FOR UPDATE SKIP LOCKED on the broadcast), and each delivery is moved
 * into the outbox by one of them (FOR UPDATE SKIP LOCKED on the row, in the move's transaction).
 */
export class PostgresBroadcasts implements BroadcastStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number,
  ) {}

  private transaction<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  async create(topic: string, texts: BroadcastTexts, missing: Lang[]): Promise<number> {
    const { rows } = await this.pool.query<{ id: number }>(
      `INSERT INTO broadcasts (topic, texts, missing, status, created_at) VALUES ($1, $2, $3, 'draft', $4) RETURNING id`,
      [topic, JSON.stringify(texts), missing.join(','), this.now()],
    );
    return rows[0]!.id;
  }

  async get(id: number): Promise<Broadcast | null> {
    const { rows } = await this.pool.query<BroadcastRow>('SELECT * FROM broadcasts WHERE id = $1', [id]);
    return rows[0] ? toBroadcast(rows[0]) : null;
  }

  async list(): Promise<Broadcast[]> {
    const { rows } = await this.pool.query<BroadcastRow>('SELECT * FROM broadcasts ORDER BY id');
    return rows.map(toBroadcast);
  }

  async queue(id: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE broadcasts SET status = 'queued', queued_at = $1 WHERE id = $2 AND status = 'draft'`,
      [this.now(), id],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async cancel(id: number): Promise<boolean> {
    return this.transaction(async (c) => {
      const r = await c.query(
        `UPDATE broadcasts SET status = 'cancelled', done_at = $1
         WHERE id = $2 AND status IN ('draft', 'queued', 'sending')`,
        [this.now(), id],
      );
      if (!r.rowCount) return false;
      // What waits in the outbox goes too; a message already on its way settles nothing.
      await c.query(
        `DELETE FROM outbox WHERE state = ${OUTBOX_STATE.pending} AND delivery_id IN
         (SELECT id FROM broadcast_deliveries WHERE broadcast_id = $1 AND state = 'queued')`,
        [id],
      );
      await c.query(
        `UPDATE broadcast_deliveries SET state = 'cancelled', address = '' WHERE broadcast_id = $1 AND state = 'queued'`,
        [id],
      );
      return true;
    });
  }

  async figures(id: number): Promise<BroadcastFigures> {
    const { rows } = await this.pool.query<BroadcastFigures>(
      `SELECT count(*) FILTER (WHERE state = 'queued') AS queued,
              count(*) FILTER (WHERE state = 'sent') AS sent,
              count(*) FILTER (WHERE state = 'failed') AS failed,
              count(*) FILTER (WHERE state = 'blocked') AS blocked,
              count(*) FILTER (WHERE replied) AS replies
       FROM broadcast_deliveries WHERE broadcast_id = $1`,
      [id],
    );
    const r = rows[0]!;
    return { queued: r.queued, sent: r.sent, failed: r.failed, blocked: r.blocked, replies: r.replies };
  }

  async expand(channels: readonly string[]): Promise<number[]> {
    return this.transaction(async (c) => {
      // Another instance expanding the same broadcast holds its row: this one leaves it alone.
      const { rows } = await c.query<{ id: number; topic: string }>(
        `SELECT id, topic FROM broadcasts WHERE status = 'queued' ORDER BY id FOR UPDATE SKIP LOCKED`,
      );
      for (const b of rows) {
        await c.query(
          `INSERT INTO broadcast_deliveries (broadcast_id, user_key, channel, lang, address, state)
           SELECT $1, user_key, channel, lang, address, 'queued' FROM subscriptions
           WHERE topic = $2 AND channel = ANY($3::text[])
           ORDER BY user_key
           ON CONFLICT (broadcast_id, user_key) DO NOTHING`,
          [b.id, b.topic, [...channels]],
        );
        await c.query(`UPDATE broadcasts SET status = 'sending' WHERE id = $1`, [b.id]);
      }
      return rows.map((b) => b.id);
    });
  }

  async release(owner: string | null): Promise<void> {
    await this.pool.query(
      `UPDATE broadcast_deliveries SET claimed_until = 0, claimed_by = ''
       WHERE ($1::text IS NULL OR claimed_by = $1) AND claimed_until > 0 AND state = 'queued'`,
      [owner],
    );
  }

  async move(plan: MovePlan, render: RenderDelivery): Promise<Moved> {
    return this.transaction(async (c) => {
      // The channel's schedule is one row that every instance's feeder locks in turn: together
      // they move at the set rate, not at that rate each.
      await c.query('INSERT INTO broadcast_pace (channel, due) VALUES ($1, 0) ON CONFLICT DO NOTHING', [
        plan.channel,
      ]);
      const { rows: pace } = await c.query<{ due: number }>(
        'SELECT due FROM broadcast_pace WHERE channel = $1 FOR UPDATE',
        [plan.channel],
      );
      const { rows: waiting } = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT 1 FROM outbox
         WHERE channel = $1 AND priority = ${PRIORITY.broadcast} AND state = ${OUTBOX_STATE.pending} LIMIT $2) w`,
        [plan.channel, plan.ahead],
      );
      const room = plan.ahead - Number(waiting[0]!.n);
      const soon = Math.min(Math.max(plan.gapMs, 5), 50);
      if (room <= 0) return { keys: [], waitMs: soon, empty: false };
      const { start, count } = slots(Number(pace[0]!.due), plan);
      if (!count) return { keys: [], waitMs: start - plan.now, empty: false };
      const { rows } = await c.query<DeliveryRow>(
        `SELECT id, broadcast_id, user_key, channel, lang, address FROM broadcast_deliveries d
         WHERE channel = $1 AND state = 'queued' AND claimed_until <= $2
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.delivery_id = d.id)
         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [plan.channel, plan.now, Math.min(count, room, plan.limit)],
      );
      if (!rows.length) {
        await c.query('UPDATE broadcast_pace SET due = 0 WHERE channel = $1', [plan.channel]);
        return { keys: [], waitMs: 0, empty: true };
      }
      const at = this.now();
      const keys: string[] = [];
      const failed: number[] = [];
      const out = { key: [] as string[], body: [] as Buffer[], delivery: [] as number[] };
      for (const r of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
        const bodies = render(toDelivery(r));
        if (bodies === undefined) break;
        if (bodies === null || !bodies.length) {
          failed.push(Number(r.id));
          continue;
        }
        for (const body of bodies) {
          out.key.push(r.user_key);
          out.body.push(Buffer.from(body));
          out.delivery.push(Number(r.id));
        }
        keys.push(r.user_key);
      }
      if (failed.length)
        await c.query(
          `UPDATE broadcast_deliveries SET state = 'failed', sent_at = $1, address = '', claimed_by = ''
           WHERE id = ANY($2::bigint[]) AND state = 'queued'`,
          [at, failed],
        );
      if (out.key.length) {
        await c.query(
          `INSERT INTO outbox (channel, user_key, priority, state, body, created_at, next_at, delivery_id)
           SELECT $1, k, ${PRIORITY.broadcast}, 0, b, $2, $2, d
           FROM unnest($3::text[], $4::bytea[], $5::bigint[]) WITH ORDINALITY AS m(k, b, d, n) ORDER BY n`,
          [plan.channel, at, out.key, out.body, out.delivery],
        );
        const due = nextDue(start, out.key.length, plan.gapMs);
        await c.query('UPDATE broadcast_pace SET due = $2 WHERE channel = $1', [plan.channel, due]);
        return { keys, waitMs: Math.max(0, due - plan.now), empty: false };
      }
      return { keys, waitMs: soon, empty: false };
    });
  }

  async finish(at: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ id: number }>(
      `UPDATE broadcasts b SET status = 'done', done_at = $1
       WHERE b.status = 'sending' AND NOT EXISTS
         (SELECT 1 FROM broadcast_deliveries d WHERE d.broadcast_id = b.id AND d.state = 'queued')
       RETURNING b.id`,
      [at],
    );
    return rows.map((r) => r.id).sort((a, b) => a - b);
  }

  async report(): Promise<BroadcastReport> {
    const { rows } = await this.pool.query<
      Omit<BroadcastReport['broadcasts'][number], 'created'> & { created: number }
    >(
      `SELECT b.id, b.topic, b.status, b.created_at AS created,
              count(d.id) FILTER (WHERE d.state = 'queued') AS queued,
              count(d.id) FILTER (WHERE d.state = 'sent') AS sent,
              count(d.id) FILTER (WHERE d.state = 'failed') AS failed,
              count(d.id) FILTER (WHERE d.state = 'blocked') AS blocked,
              count(d.id) FILTER (WHERE d.replied) AS replies
       FROM broadcasts b LEFT JOIN broadcast_deliveries d ON d.broadcast_id = b.id
       GROUP BY b.id ORDER BY b.id DESC`,
    );
    const subscribers = await this.pool.query<BroadcastReport['subscribers'][number]>(
      'SELECT topic, lang, count(*) AS count FROM subscriptions GROUP BY topic, lang ORDER BY topic, lang',
    );
    return {
      broadcasts: rows.map((b) => ({ ...b, created: new Date(b.created).toISOString() })),
      subscribers: subscribers.rows,
    };
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
