import type pg from 'pg';
import {
  type Broadcast,
  type BroadcastFigures,
  type BroadcastReport,
  type BroadcastRow,
  type BroadcastStore,
  type BroadcastTexts,
  CLAIM_MS,
  type Delivery,
  type DeliveryOutcome,
  toBroadcast,
} from '../../broadcast/store.js';
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
 * expanded by one of them (FOR UPDATE SKIP LOCKED on the broadcast), and each delivery is claimed
 * by one of them (FOR UPDATE SKIP LOCKED on the row, then a claim until a time).
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

  async claim(channel: string, limit: number, owner: string, now: number): Promise<Delivery[]> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `UPDATE broadcast_deliveries SET claimed_until = $1, claimed_by = $2
       WHERE id IN (
         SELECT id FROM broadcast_deliveries
         WHERE channel = $3 AND state = 'queued' AND claimed_until <= $4
         ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED)
       RETURNING id, broadcast_id, user_key, channel, lang, address`,
      [now + CLAIM_MS, owner, channel, now, limit],
    );
    return rows
      .map((r) => ({
        id: r.id,
        broadcastId: r.broadcast_id,
        userKey: r.user_key,
        channel: r.channel,
        lang: r.lang,
        address: r.address,
      }))
      .sort((a, b) => a.id - b.id);
  }

  async release(owner: string | null): Promise<void> {
    await this.pool.query(
      `UPDATE broadcast_deliveries SET claimed_until = 0, claimed_by = ''
       WHERE ($1::text IS NULL OR claimed_by = $1) AND claimed_until > 0 AND state = 'queued'`,
      [owner],
    );
  }

  async settle(id: number, outcome: DeliveryOutcome, at: number): Promise<void> {
    // A sent message's address is not needed any more: it goes.
    await this.pool.query(
      `UPDATE broadcast_deliveries SET state = $1, sent_at = $2, address = '', claimed_by = ''
       WHERE id = $3 AND state = 'queued'`,
      [outcome, at, id],
    );
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
