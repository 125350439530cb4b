import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  type DeliveryStatus,
  type FailReason,
  type HoldReason,
  LEASE_MS,
  OUTBOX_STATE,
  type OutboxStats,
  type OutboxStore,
  type Priority,
  type StoredOutgoing,
  UNSENT_STATES,
} from '../../outbox/contract.js';
import { addRecent } from '../recent-messages.js';
import { inTransaction } from './transaction.js';

const { pending: PENDING, sent: SENT, failed: FAILED, held: HELD } = OUTBOX_STATE;

type Row = {
  id: number;
  channel: string;
  user_key: string;
  priority: number;
  body: Buffer;
  attempts: number;
  created_at: number;
};

const COLUMNS = 'id, channel, user_key, priority, body, attempts, created_at';

/**
 * Settles the broadcast deliveries named by the outbox rows of `rows` (a CTE that returns their
 * delivery_id) as their rows end: `state` (SQL), `sentAt` (SQL) when the outcome has a time, and
 * `and`, a further condition. Only a delivery still queued changes, so the first outcome stands;
 * its address is not needed any more and goes.
 */
function settleDeliveries(rows: string, state: string, sentAt: string | null, and?: string): string {
  const at = sentAt === null ? '' : `sent_at = ${sentAt}, `;
  return `UPDATE broadcast_deliveries d SET state = ${state}, ${at}address = '', claimed_by = ''
  FROM ${rows} WHERE d.id = ${rows}.delivery_id AND d.state = 'queued'${and ? ` AND ${and}` : ''}`;
}

/** A delivery of several messages is sent with the last of them: no other of its rows waits ($1 the row). */
const LAST_OF_DELIVERY = `NOT EXISTS (SELECT 1 FROM outbox o WHERE o.delivery_id = d.id AND o.id <> $1
                    AND o.state IN (${UNSENT_STATES}))`;

/**
 * A sent row goes; when it names a broadcast delivery, the delivery is sent once no other message
 * of it waits. $1: the row, $2: the time.
 */
const SENT_SQL = `WITH gone AS (DELETE FROM outbox WHERE id = $1 RETURNING delivery_id)
  ${settleDeliveries('gone', "'sent'", '$2', LAST_OF_DELIVERY)}`;

/** As SENT_SQL, for a row kept for its delivery report ($2 the hash of the platform's id, $3 the time). */
const KEPT_SQL = `WITH kept AS (
    UPDATE outbox SET state = ${SENT}, body = '\\x'::bytea, user_key = '', ref = $2, reason = NULL,
      next_at = $3, lease_until = 0, lease_owner = NULL WHERE id = $1 RETURNING delivery_id)
  ${settleDeliveries('kept', "'sent'", '$3', LAST_OF_DELIVERY)}`;

/**
 * The outbox on PostgreSQL, shared by every instance. A claim takes each chat's oldest pending
 * message with FOR UPDATE SKIP LOCKED and leases it to this instance: two senders never hold
 * the same chat, so a chat's messages go once and in order whichever instance sends them. A
 * lease that ends (an instance killed mid-send) lets another instance send the message.
 */
export class PostgresOutbox implements OutboxStore {
  private readonly owner = randomUUID();

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number,
    /** The advisory lock class of a user's turns: a sent message's ids join the session under it. */
    private readonly userLock: number,
  ) {}

  async claim(
    channel: string,
    now: number,
    limit: number,
    busy: ReadonlySet<string>,
  ): Promise<StoredOutgoing[]> {
    const { rows } = await this.pool.query(
      `UPDATE outbox SET lease_until = $5, lease_owner = $3
       WHERE id IN (
         SELECT o.id FROM outbox o
         WHERE o.channel = $1 AND o.state = ${PENDING} AND o.next_at <= $2
           AND (o.lease_until <= $2 OR o.lease_owner = $3) AND NOT (o.user_key = ANY($6::text[]))
           AND o.id = (SELECT min(p.id) FROM outbox p WHERE p.user_key = o.user_key AND p.state = ${PENDING})
         ORDER BY o.priority, o.id LIMIT $4
         FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [channel, now, this.owner, limit, now + LEASE_MS, [...busy]],
    );
    return (rows as Row[]).map(open).sort((a, b) => a.priority - b.priority || a.id - b.id);
  }

  async head(channel: string, userKey: string, now: number): Promise<StoredOutgoing | null> {
    const { rows } = await this.pool.query(
      `UPDATE outbox SET lease_until = $5, lease_owner = $3
       WHERE id IN (
         SELECT o.id FROM outbox o
         WHERE o.id = (SELECT min(p.id) FROM outbox p WHERE p.user_key = $4 AND p.state = ${PENDING})
           AND o.channel = $1 AND o.next_at <= $2 AND (o.lease_until <= $2 OR o.lease_owner = $3)
         FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [channel, now, this.owner, userKey, now + LEASE_MS],
    );
    const row = rows[0] as Row | undefined;
    return row ? open(row) : null;
  }

  async markSent(id: number, userKey: string, ids: readonly string[], ref?: string): Promise<void> {
    // Kept for its delivery report: no text, address or user key, only the hash of the platform's id.
    const done =
      ref === undefined
        ? { sql: SENT_SQL, params: [id, this.now()] as unknown[] }
        : { sql: KEPT_SQL, params: [id, ref, this.now()] as unknown[] };
    if (!ids.length) {
      await this.pool.query(done.sql, done.params);
      return;
    }
    // The ids join the user's recent messages under the user's lock, as a turn's would.
    await inTransaction(this.pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [this.userLock, userKey]);
      await c.query(done.sql, done.params);
      const { rows } = await c.query('SELECT recent FROM sessions WHERE user_key = $1', [userKey]);
      const row = rows[0] as { recent: string } | undefined;
      if (row)
        await c.query('UPDATE sessions SET recent = $2 WHERE user_key = $1', [
          userKey,
          addRecent(row.recent, ids, this.now()),
        ]);
    });
  }

  async hold(id: number, reason: HoldReason): Promise<void> {
    await this.pool.query(
      `UPDATE outbox SET state = ${HELD}, reason = $2, lease_until = 0, lease_owner = NULL
       WHERE id = $1 AND state = ${PENDING}`,
      [id, reason],
    );
  }

  async release(userKey: string, now: number): Promise<number> {
    const r = await this.pool.query(RELEASE_HELD_SQL, [userKey, now]);
    return r.rowCount ?? 0;
  }

  async status(channel: string, ref: string, status: DeliveryStatus, reason?: FailReason): Promise<boolean> {
    const r =
      status === 'failed'
        ? await this.pool.query(
            `UPDATE outbox SET state = ${FAILED}, reason = $3, next_at = $4, ref = NULL
             WHERE ref = $1 AND channel = $2 AND state = ${SENT}`,
            [ref, channel, reason ?? 'rejected', this.now()],
          )
        : await this.pool.query(`DELETE FROM outbox WHERE ref = $1 AND channel = $2 AND state = ${SENT}`, [
            ref,
            channel,
          ]);
    return (r.rowCount ?? 0) > 0;
  }

  async unsent(channel: string, userKey: string, priority: Priority): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM outbox
       WHERE channel = $1 AND user_key = $2 AND priority = $3 AND state IN (${UNSENT_STATES})`,
      [channel, userKey, priority],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async heldCounts(channel?: string): Promise<Array<{ reason: string; count: number }>> {
    const { rows } = await this.pool.query(
      `SELECT reason, count(*) AS count FROM outbox
       WHERE state = ${HELD} AND ($1::text IS NULL OR channel = $1) GROUP BY reason ORDER BY reason`,
      [channel ?? null],
    );
    return (rows as Array<{ reason: string; count: string }>).map((r) => ({
      reason: r.reason,
      count: Number(r.count),
    }));
  }

  async markFailed(id: number, reason: FailReason): Promise<void> {
    await this.pool.query(
      `WITH failed AS (
         UPDATE outbox SET state = ${FAILED}, body = '\\x'::bytea, user_key = '', reason = $2, next_at = $3,
           lease_until = 0, lease_owner = NULL WHERE id = $1 RETURNING delivery_id)
       ${settleDeliveries('failed', '$4', '$3')}`,
      [id, reason, this.now(), reason === 'blocked' ? 'blocked' : 'failed'],
    );
  }

  async retryAt(id: number, at: number, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE outbox SET next_at = $2, reason = $3, attempts = attempts + 1, lease_until = 0, lease_owner = NULL
       WHERE id = $1`,
      [id, at, reason],
    );
  }

  async deleteUser(userKey: string): Promise<void> {
    // The broadcast messages that waited for the user are deliveries to someone who blocked the bot.
    await this.pool.query(
      `WITH gone AS (DELETE FROM outbox WHERE user_key = $1 AND state IN (${UNSENT_STATES}) RETURNING delivery_id)
       ${settleDeliveries('gone', "'blocked'", '$2')}`,
      [userKey, this.now()],
    );
  }

  async stats(now: number, channel?: string): Promise<OutboxStats> {
    const { rows } = await this.pool.query(
      `SELECT count(*) AS n, min(created_at) AS oldest FROM outbox
       WHERE state = ${PENDING} AND ($1::text IS NULL OR channel = $1)`,
      [channel ?? null],
    );
    const r = rows[0] as { n: number; oldest: number | null };
    return {
      backlog: Number(r.n),
      oldestPendingMs: r.oldest === null ? null : Math.max(0, now - Number(r.oldest)),
    };
  }

  async purge(before: number): Promise<number> {
    const r = await this.pool.query(
      `DELETE FROM outbox WHERE state IN (${SENT}, ${FAILED}) AND next_at < $1`,
      [before],
    );
    return r.rowCount ?? 0;
  }
}

/** Retention, inside the purge's transaction: pending rows of users idle since before `$1`, and anything older. */
export const PURGE_OUTBOX_SQL = `WITH gone AS (DELETE FROM outbox WHERE created_at < $1 OR (state IN (${UNSENT_STATES})
  AND user_key IN (SELECT user_key FROM sessions WHERE updated_at < $1)) RETURNING delivery_id, state)
  ${settleDeliveries('gone', "'failed'", null, `gone.state IN (${UNSENT_STATES})`)}`;

/** The user wrote: their held messages are pending again ($1 user key, $2 now). */
export const RELEASE_HELD_SQL = `UPDATE outbox SET state = ${PENDING}, next_at = $2, reason = NULL
  WHERE user_key = $1 AND state = ${HELD}`;

function open(r: Row): StoredOutgoing {
  return {
    id: Number(r.id),
    channel: r.channel,
    userKey: r.user_key,
    body: new Uint8Array(r.body),
    priority: r.priority as Priority,
    attempts: r.attempts,
    createdAt: Number(r.created_at),
  };
}
