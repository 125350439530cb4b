import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
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
import type { Db } from './db.js';
import type { RecentMessages } from './recent-messages.js';

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

/**
 * The outbox on SQLite, in the bot's one database file. One process owns the file, so the
 * leases of an earlier run (killed mid-send) end when the store opens.
 */
export class SqliteOutbox implements OutboxStore {
  private readonly owner = randomUUID();
  private readonly insertStmt: Statement;
  private readonly heads: Statement;
  private readonly headOf: Statement;
  private readonly lease: Statement;
  private readonly remove: Statement<[number]>;
  private readonly fail: Statement<[string, number, number]>;
  private readonly retry: Statement<[number, string, number]>;
  private readonly byUser: Statement<[string]>;
  private readonly count: Statement<[{ channel: string | null }], { n: number; oldest: number | null }>;
  private readonly purgeStmt: Statement<[number]>;
  private readonly sentTx: (id: number, key: string, ids: readonly string[]) => void;
  private readonly delivered: Statement<[{ at: number; id: number }]>;
  private readonly failTx: (id: number, reason: FailReason) => void;
  private readonly blockedTx: (key: string) => void;
  private readonly keep: Statement<[string, number, number]>;
  private readonly holdStmt: Statement<[string, number]>;
  private readonly releaseStmt: Statement<[number, string]>;
  private readonly reported: Statement<[string, string]>;
  private readonly reportedFailed: Statement<[string, number, string, string]>;
  private readonly unsentStmt: Statement<[string, string, number], number>;
  private readonly heldStmt: Statement<[{ channel: string | null }], { reason: string; count: number }>;

  constructor(
    private readonly db: Db,
    private readonly recentOf: RecentMessages,
    private readonly now: () => number = Date.now,
  ) {
    db.prepare('UPDATE outbox SET lease_until = 0, lease_owner = NULL WHERE lease_until > 0').run();
    this.insertStmt = db.prepare(
      `INSERT INTO outbox (channel, user_key, priority, state, body, created_at, next_at)
       VALUES (?, ?, ?, ${PENDING}, ?, ?, ?)`,
    );
    // Only the oldest pending message of each chat, so a chat's messages go in order.
    const free = `o.next_at <= @now AND (o.lease_until <= @now OR o.lease_owner = @owner)`;
    this.heads = db.prepare(
      `SELECT o.id, o.channel, o.user_key, o.priority, o.body, o.attempts, o.created_at FROM outbox o
       WHERE o.channel = @channel AND o.state = ${PENDING} AND ${free}
         AND o.id = (SELECT min(p.id) FROM outbox p WHERE p.user_key = o.user_key AND p.state = ${PENDING})
       ORDER BY o.priority, o.id LIMIT @limit`,
    );
    // Found and leased in one statement: a chat is looked up after every message it is sent.
    this.headOf = db.prepare(
      `UPDATE outbox SET lease_until = @until, lease_owner = @owner
       WHERE id = (SELECT min(p.id) FROM outbox p WHERE p.user_key = @key AND p.state = ${PENDING})
         AND channel = @channel AND next_at <= @now AND (lease_until <= @now OR lease_owner = @owner)
       RETURNING id, channel, user_key, priority, body, attempts, created_at`,
    );
    this.lease = db.prepare('UPDATE outbox SET lease_until = ?, lease_owner = ? WHERE id = ?');
    this.remove = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.fail = db.prepare(
      `UPDATE outbox SET state = ${FAILED}, body = x'', user_key = '', reason = ?, next_at = ?,
         lease_until = 0, lease_owner = NULL WHERE id = ?`,
    );
    this.retry = db.prepare(
      `UPDATE outbox SET next_at = ?, reason = ?, attempts = attempts + 1, lease_until = 0, lease_owner = NULL
       WHERE id = ?`,
    );
    this.byUser = db.prepare(`DELETE FROM outbox WHERE user_key = ? AND state IN (${UNSENT_STATES})`);
    this.keep = db.prepare(
      `UPDATE outbox SET state = ${SENT}, body = x'', user_key = '', ref = ?, reason = NULL, next_at = ?,
         lease_until = 0, lease_owner = NULL WHERE id = ?`,
    );
    this.holdStmt = db.prepare(
      `UPDATE outbox SET state = ${HELD}, reason = ?, lease_until = 0, lease_owner = NULL
       WHERE id = ? AND state = ${PENDING}`,
    );
    this.releaseStmt = db.prepare(
      `UPDATE outbox SET state = ${PENDING}, next_at = ?, reason = NULL WHERE user_key = ? AND state = ${HELD}`,
    );
    this.reported = db.prepare(`DELETE FROM outbox WHERE ref = ? AND channel = ? AND state = ${SENT}`);
    this.reportedFailed = db.prepare(
      `UPDATE outbox SET state = ${FAILED}, reason = ?, next_at = ?, ref = NULL
       WHERE ref = ? AND channel = ? AND state = ${SENT}`,
    );
    this.unsentStmt = db
      .prepare<[string, string, number], number>(
        `SELECT count(*) FROM outbox
         WHERE channel = ? AND user_key = ? AND priority = ? AND state IN (${UNSENT_STATES})`,
      )
      .pluck();
    this.heldStmt = db.prepare(
      `SELECT reason, count(*) AS count FROM outbox
       WHERE state = ${HELD} AND (@channel IS NULL OR channel = @channel) GROUP BY reason ORDER BY reason`,
    );
    this.count = db.prepare(
      `SELECT count(*) AS n, min(created_at) AS oldest FROM outbox
       WHERE state = ${PENDING} AND (@channel IS NULL OR channel = @channel)`,
    );
    this.purgeStmt = db.prepare(`DELETE FROM outbox WHERE state IN (${SENT}, ${FAILED}) AND next_at < ?`);
    // A broadcast message's row names its delivery: the row's end settles it, in the same
    // transaction. A delivery of several messages is sent when the last of them is.
    const ofRow = '(SELECT delivery_id FROM outbox WHERE id = @id)';
    this.delivered = db.prepare<[{ at: number; id: number }]>(
      settleDeliveries(
        "'sent'",
        '@at',
        `id = ${ofRow}
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.delivery_id = broadcast_deliveries.id
                         AND o.id <> @id AND o.state IN (${UNSENT_STATES}))`,
      ),
    );
    const undelivered = db.prepare<[{ state: string; at: number; id: number }]>(
      settleDeliveries('@state', '@at', `id = ${ofRow}`),
    );
    const blocked = db.prepare<[{ at: number; key: string }]>(
      settleDeliveries(
        "'blocked'",
        '@at',
        `id IN (SELECT delivery_id FROM outbox
                WHERE user_key = @key AND state IN (${UNSENT_STATES}) AND delivery_id IS NOT NULL)`,
      ),
    );
    this.sentTx = db.transaction((id: number, key: string, ids: readonly string[]) => {
      this.delivered.run({ at: this.now(), id });
      this.remove.run(id);
      if (ids.length) recentOf.append(key, ids);
    });
    this.failTx = db.transaction((id: number, reason: FailReason) => {
      undelivered.run({ state: reason === 'blocked' ? 'blocked' : 'failed', at: this.now(), id });
      this.fail.run(reason, this.now(), id);
    });
    this.blockedTx = db.transaction((key: string) => {
      blocked.run({ at: this.now(), key });
      this.byUser.run(key);
    });
  }

  /** Inside the turn's transaction: the rows of one user, in order. */
  insert(key: string, channel: string, priority: Priority, body: Uint8Array): void {
    const now = this.now();
    this.insertStmt.run(channel, key, priority, Buffer.from(body), now, now);
  }

  async claim(
    channel: string,
    now: number,
    limit: number,
    busy: ReadonlySet<string>,
  ): Promise<StoredOutgoing[]> {
    return this.db.transaction(() => {
      const out: StoredOutgoing[] = [];
      const rows = this.heads.all({ channel, now, limit: limit + busy.size, owner: this.owner }) as Row[];
      for (const r of rows) {
        if (busy.has(r.user_key)) continue;
        this.lease.run(now + LEASE_MS, this.owner, r.id);
        out.push(open(r));
        if (out.length >= limit) break;
      }
      return out;
    })();
  }

  async head(channel: string, userKey: string, now: number): Promise<StoredOutgoing | null> {
    const r = this.headOf.get({ channel, key: userKey, now, owner: this.owner, until: now + LEASE_MS }) as
      | Row
      | undefined;
    return r ? open(r) : null;
  }

  async markSent(id: number, userKey: string, ids: readonly string[], ref?: string): Promise<void> {
    if (ref === undefined) this.sentTx(id, userKey, ids);
    else
      this.db.transaction(() => {
        this.delivered.run({ at: this.now(), id });
        this.keep.run(ref, this.now(), id);
        if (ids.length) this.recentOf.append(userKey, ids);
      })();
  }

  async hold(id: number, reason: HoldReason): Promise<void> {
    this.holdStmt.run(reason, id);
  }

  async release(userKey: string, now: number): Promise<number> {
    return this.releaseStmt.run(now, userKey).changes;
  }

  /** Inside the turn's transaction: the user wrote. */
  releaseSync(userKey: string): void {
    this.releaseStmt.run(this.now(), userKey);
  }

  async status(channel: string, ref: string, status: DeliveryStatus, reason?: FailReason): Promise<boolean> {
    if (status !== 'failed') return this.reported.run(ref, channel).changes > 0;
    return this.reportedFailed.run(reason ?? 'rejected', this.now(), ref, channel).changes > 0;
  }

  async unsent(channel: string, userKey: string, priority: Priority): Promise<number> {
    return this.unsentStmt.get(channel, userKey, priority) ?? 0;
  }

  async heldCounts(channel?: string): Promise<Array<{ reason: string; count: number }>> {
    return this.heldStmt.all({ channel: channel ?? null }).map((r) => ({ reason: r.reason, count: r.count }));
  }

  async markFailed(id: number, reason: FailReason): Promise<void> {
    this.failTx(id, reason);
  }

  async retryAt(id: number, at: number, reason: string): Promise<void> {
    this.retry.run(at, reason, id);
  }

  async deleteUser(userKey: string): Promise<void> {
    this.blockedTx(userKey);
  }

  async stats(now: number, channel?: string): Promise<OutboxStats> {
    const r = this.count.get({ channel: channel ?? null })!;
    return { backlog: r.n, oldestPendingMs: r.oldest === null ? null : Math.max(0, now - r.oldest) };
  }

  /** Messages waiting, at once: for tools and tests that poll. */
  backlog(): number {
    return this.count.get({ channel: null })!.n;
  }

  async purge(before: number): Promise<number> {
    return this.purgeStmt.run(before).changes;
  }

  /** Retention: pending rows of users idle since before `cutoff`, and anything older than it. */
  purgeBefore(cutoff: number): number {
    const which = `created_at < @cutoff OR (state IN (${UNSENT_STATES}) AND user_key IN
      (SELECT user_key FROM sessions WHERE updated_at < @cutoff))`;
    // A broadcast message that goes unsent this way is a failed delivery, not one still to send.
    this.db
      .prepare(
        settleDeliveries(
          "'failed'",
          null,
          `id IN (SELECT delivery_id FROM outbox
                  WHERE state IN (${UNSENT_STATES}) AND delivery_id IS NOT NULL AND (${which}))`,
        ),
      )
      .run({ cutoff });
    return this.db.prepare(`DELETE FROM outbox WHERE ${which}`).run({ cutoff }).changes;
  }
}

/**
 * Settles the broadcast deliveries `which` picks as their outbox rows end: `state` (SQL), and
 * `sentAt` (SQL) when the outcome has a time. Only a delivery still queued changes, so the first
 * outcome stands; its address is not needed any more and goes.
 */
function settleDeliveries(state: string, sentAt: string | null, which: string): string {
  const at = sentAt === null ? '' : `sent_at = ${sentAt}, `;
  return `UPDATE broadcast_deliveries SET state = ${state}, ${at}address = '', claimed_by = ''
    WHERE state = 'queued' AND ${which}`;
}

function open(r: Row): StoredOutgoing {
  return {
    id: r.id,
    channel: r.channel,
    userKey: r.user_key,
    body: new Uint8Array(r.body),
    priority: r.priority as Priority,
    attempts: r.attempts,
    createdAt: r.created_at,
  };
}
