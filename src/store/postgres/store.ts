import { createHash } from 'node:crypto';
import pg from 'pg';
import { SessionSchema } from '../../engine/types.js';
import type { FaqEntry } from '../../faq/schema.js';
import { OUTBOX_STATE, UNSENT_STATES } from '../../outbox/contract.js';
import type { PerDay, Report } from '../../report/report.js';
import {
  type Chunk,
  type ContentSnapshot,
  type Decision,
  type HandoffRow,
  type ImportReport,
  type Loaded,
  type Purged,
  type Rows,
  SEEN_KEPT,
  type Store,
  type Stored,
  type Table,
  type UnansweredRow,
  type Write,
} from '../contract.js';
import { HandoffRowSchema } from '../handoffs.js';
import { addRecent, recentIds } from '../recent-messages.js';
import { DAY, HOUR, recordTime, sessionTime } from '../times.js';
import { PostgresBroadcasts } from './broadcasts.js';
import { MIGRATIONS } from './migrations.js';
import { PostgresOutbox, PURGE_OUTBOX_SQL } from './outbox.js';
import { buildPgReport, perDay } from './report.js';
import { PostgresSubscriptions } from './subscriptions.js';
import { inTransaction } from './transaction.js';

/** Advisory lock classes (the first of the two keys), so that ours never meet another app's. */
const LOCK_USER = 0x50_55;
const LOCK_PURGE = 0x50_56;
const LOCK_MIGRATE = 0x50_57;

const CHUNK = 1000;
/** Rows a second copy replaces instead of adding to: nothing in them is counted. */
const REPLACEABLE: ReadonlySet<Table> = new Set([
  'sessions',
  'contentSnapshots',
  'mediaUploads',
  'subscriptions',
]);
const { escapeLiteral: lit } = pg;

/** bigint columns hold milliseconds, well inside a double's exact range. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export type PostgresOptions = { now?: () => number; max?: number };

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

function text(v: string | null): string {
  return v === null ? 'NULL' : lit(v);
}

/**
 * The shared engine: a PostgreSQL database several instances use at once. A turn takes a
 * transaction-scoped advisory lock on the user's key, so two instances that get the same
 * user's updates run the turns one after the other, and the second reads what the first wrote.
 *
 * A turn is two round trips: BEGIN, the lock and the read in one simple-protocol batch; the
 * writes and COMMIT in another. Values in those batches are quoted by pg's escapeLiteral.
 */
export class PostgresStore implements Store {
  readonly engine = 'postgres';
  readonly outbox: PostgresOutbox;
  readonly subscriptions: PostgresSubscriptions;
  readonly broadcasts: PostgresBroadcasts;

  private constructor(
    readonly pool: pg.Pool,
    private readonly now: () => number,
  ) {
    this.outbox = new PostgresOutbox(pool, now, LOCK_USER);
    this.subscriptions = new PostgresSubscriptions(pool, now);
    this.broadcasts = new PostgresBroadcasts(pool, now);
  }

  /** Connects and brings the schema up to date (one instance at a time). */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types });
    // An idle client that loses its server must not take the process down.
    pool.on('error', () => {});
    try {
      await migrate(pool);
    } catch (e) {
      await pool.end();
      // The URL may hold a password: the message names the server, never the whole URL.
      const where = new URL(url);
      throw new Error(
        `PostgreSQL at ${where.hostname}:${where.port || 5432}${where.pathname} could not be opened: ${e instanceof Error ? e.message : String(e)}. Check DATABASE_URL and that the server runs.`,
        { cause: e },
      );
    }
    return new PostgresStore(pool, options.now ?? (() => Date.now()));
  }

  async turn<R>(key: string, decide: (loaded: Loaded) => Decision<R>): Promise<R> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      const k = lit(key);
      const results = (await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_USER}, hashtext(${k}));
         SELECT state, seen, inbound_at, recent FROM sessions WHERE user_key = ${k};
         ${OPEN_HANDOFF} WHERE user_key = ${k} AND closed_at IS NULL ORDER BY opened_at DESC LIMIT 1;
         SELECT topic FROM subscriptions WHERE user_key = ${k} ORDER BY topic`,
      )) as unknown as pg.QueryResult[];
      const subscribed = (results[4]!.rows as Array<{ topic: string }>).map((r) => r.topic);
      const row = results[2]!.rows[0] as
        | { state: string; seen: string; inbound_at: number; recent: string }
        | undefined;
      const stored = row ? parseStored(row) : null;
      const handoff = parseHandoff(results[3]!.rows[0]);
      const now = this.now();
      const { result, writes } = decide({
        stored,
        recent: () => (row ? recentIds(row.recent, now) : []),
        subscribed,
        handoff: () => handoff,
      });
      const state = { exists: row !== undefined, recent: row?.recent ?? '' };
      const sql = writes.map((w) => this.writeSql(k, w, state, now));
      sql.push('COMMIT');
      await client.query(sql.join(';\n'));
      return result;
    } catch (e) {
      // Whatever failed, nothing of the turn stays; a client that cannot even roll back is dropped.
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  private writeSql(k: string, w: Write, state: { exists: boolean; recent: string }, now: number): string {
    switch (w.type) {
      case 'session.put': {
        state.exists = true;
        const inbound = w.inboundAt === undefined ? 'NULL' : int(w.inboundAt);
        const updated = int(sessionTime(now));
        return `INSERT INTO sessions (user_key, channel, state, seen, updated_at, inbound_at)
          VALUES (${k}, ${lit(w.channel)}, ${lit(JSON.stringify(w.session))}, ${lit(w.seen.slice(-SEEN_KEPT).join(','))},
                  ${updated}, coalesce(${inbound}, ${updated}))
          ON CONFLICT (user_key) DO UPDATE SET state = excluded.state, seen = excluded.seen,
            updated_at = excluded.updated_at, inbound_at = coalesce(${inbound}, sessions.inbound_at)`;
      }
      case 'forget':
        state.exists = false;
        state.recent = '';
        // Open conversations with a person close, pending messages and subscriptions go, and a broadcast's rows keep
        // their figures but no longer point at the user: nothing may point to the user any more.
        return `DELETE FROM sessions WHERE user_key = ${k}; DELETE FROM outbox WHERE user_key = ${k} AND state IN (${UNSENT_STATES});
          ${closeSql(now)} WHERE user_key = ${k} AND closed_at IS NULL;
          DELETE FROM subscriptions WHERE user_key = ${k};
          UPDATE broadcast_deliveries SET user_key = 'gone:' || id, address = '',
            state = CASE state WHEN 'queued' THEN 'dropped' ELSE state END
          WHERE user_key = ${k}`;
      case 'recent.append': {
        // A user without a session (just forgotten) keeps nothing.
        if (!state.exists || !w.ids.length) return 'SELECT 1';
        state.recent = addRecent(state.recent, w.ids, now);
        return `UPDATE sessions SET recent = ${lit(state.recent)} WHERE user_key = ${k}`;
      }
      case 'event':
        return `INSERT INTO events (at, name, channel, lang, campaign, flow, faq) VALUES (${int(recordTime(now))},
          ${lit(w.name)}, ${lit(w.channel)}, ${text(w.lang)}, ${text(w.campaign)}, ${text(w.flow)}, ${text(w.faq)})`;
      case 'feedback':
        return `INSERT INTO feedback (at, faq, lang, helpful) VALUES (${int(recordTime(now))}, ${lit(w.faq)},
          ${text(w.lang)}, ${w.helpful ? 'true' : 'false'})`;
      case 'unanswered':
        return `INSERT INTO unanswered (at, lang, query) VALUES (${int(recordTime(now))}, ${lit(w.lang)}, ${lit(w.query)})`;
      case 'outbox':
        return `INSERT INTO outbox (channel, user_key, priority, state, body, created_at, next_at)
          VALUES (${lit(w.channel)}, ${k}, ${int(w.priority)}, 0, decode('${Buffer.from(w.body).toString('hex')}', 'hex'),
                  ${int(now)}, ${int(now)})`;
      case 'outbox.release':
        return `UPDATE outbox SET state = ${OUTBOX_STATE.pending}, next_at = ${int(now)}, reason = NULL WHERE user_key = ${k} AND state = ${OUTBOX_STATE.held}`;
      case 'subscribe':
        // A yes given twice keeps the first consent: the record says when it was first given.
        return `INSERT INTO subscriptions (user_key, topic, lang, channel, address, consent_at, consent_how)
          VALUES (${k}, ${lit(w.topic)}, ${lit(w.lang)}, ${lit(w.channel)}, ${lit(w.address)},
                  ${int(recordTime(now))}, ${lit(w.how)})
          ON CONFLICT (user_key, topic) DO NOTHING`;
      case 'unsubscribe':
        return `DELETE FROM subscriptions WHERE user_key = ${k} AND topic = ${lit(w.topic)}`;
      case 'subscriptions.lang':
        return `UPDATE subscriptions SET lang = ${lit(w.lang)} WHERE user_key = ${k} AND lang <> ${lit(w.lang)}`;
      case 'broadcast.reply':
        return `UPDATE broadcast_deliveries SET replied = true
          WHERE user_key = ${k} AND state = 'sent' AND NOT replied AND sent_at > ${int(now - DAY)}`;
      case 'handoff.open':
        return `INSERT INTO handoffs (id, user_key, channel, address, pseudonym, lang, opened_at, last_at)
          VALUES (${lit(w.id)}, ${k}, ${lit(w.channel)}, ${lit(w.address)}, ${lit(w.pseudonym)}, ${lit(w.lang)},
                  ${int(now)}, ${int(now)})`;
      case 'handoff.touch':
        return `UPDATE handoffs SET last_at = ${int(now)}
          WHERE id = ${lit(w.id)} AND user_key = ${k} AND closed_at IS NULL`;
      case 'handoff.close':
        return `${closeSql(now)} WHERE id = ${lit(w.id)} AND user_key = ${k} AND closed_at IS NULL`;
    }
  }

  async handoff(id: string): Promise<HandoffRow | null> {
    const { rows } = await this.pool.query(`${OPEN_HANDOFF} WHERE id = $1`, [id]);
    return parseHandoff(rows[0]);
  }

  async handoffByThread(thread: string): Promise<HandoffRow | null> {
    const { rows } = await this.pool.query(
      `${OPEN_HANDOFF} WHERE thread = $1 ORDER BY opened_at DESC LIMIT 1`,
      [thread],
    );
    return parseHandoff(rows[0]);
  }

  async setHandoffThread(id: string, thread: string): Promise<void> {
    await this.pool.query('UPDATE handoffs SET thread = $1 WHERE id = $2', [thread, id]);
  }

  async handoffReplied(id: string): Promise<void> {
    const at = this.now();
    await this.pool.query(
      `UPDATE handoffs SET replied_fast = coalesce(replied_fast, CASE WHEN $1 - opened_at <= ${HOUR} THEN 1 ELSE 0 END),
         last_at = $1 WHERE id = $2 AND closed_at IS NULL`,
      [at, id],
    );
  }

  async closeHandoff(id: string): Promise<boolean> {
    return this.transaction(async (c) => {
      const { rows } = await c.query('SELECT user_key FROM handoffs WHERE id = $1 AND closed_at IS NULL', [
        id,
      ]);
      const key = rows[0]?.user_key as string | null | undefined;
      if (key === undefined) return false;
      // The user's lock, as their turns take it: a turn in progress finishes first.
      if (key !== null) await c.query(`SELECT pg_advisory_xact_lock(${LOCK_USER}, hashtext($1))`, [key]);
      const closed = await c.query(`${closeSql(this.now())} WHERE id = $1 AND closed_at IS NULL`, [id]);
      return (closed.rowCount ?? 0) > 0;
    });
  }

  async idleHandoffs(before: number): Promise<HandoffRow[]> {
    const { rows } = await this.pool.query(
      `${OPEN_HANDOFF} WHERE closed_at IS NULL AND last_at < $1 ORDER BY last_at`,
      [before],
    );
    return rows.map((r) => parseHandoff(r)!);
  }

  async session(key: string): Promise<Stored | null> {
    const { rows } = await this.pool.query(
      'SELECT state, seen, inbound_at FROM sessions WHERE user_key = $1',
      [key],
    );
    return rows[0] ? parseStored(rows[0]) : null;
  }

  async forget(key: string): Promise<void> {
    await this.turn(key, () => ({ result: undefined, writes: [{ type: 'forget' }] }));
  }

  async appendRecent(key: string, ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await this.turn(key, () => ({ result: undefined, writes: [{ type: 'recent.append', ids: [...ids] }] }));
  }

  async lastInbound(key: string): Promise<number | null> {
    return (await this.session(key))?.inboundAt ?? null;
  }

  async purge(cutoff: number): Promise<Purged> {
    return this.transaction(async (c) => {
      // One purge at a time across instances: two would add the same events to the daily counts.
      await c.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_PURGE]);
      // What waits for users who go now goes with them; so does anything older than the cutoff.
      await c.query(PURGE_OUTBOX_SQL, [cutoff]);
      // A broadcast's figures outlive retention, but not the link to who got it.
      await c.query(
        `UPDATE broadcast_deliveries SET user_key = 'gone:' || id, address = ''
         WHERE state <> 'queued' AND coalesce(sent_at, 0) < $1 AND user_key NOT LIKE 'gone:%'`,
        [cutoff],
      );
      const sessions = (await c.query('DELETE FROM sessions WHERE updated_at < $1', [cutoff])).rowCount ?? 0;
      await c.query(
        `INSERT INTO daily_counts (day, name, channel, lang, campaign, flow, faq, count)
         SELECT at - at % ${DAY}, name, channel, coalesce(lang, ''), coalesce(campaign, ''),
                coalesce(flow, ''), coalesce(faq, ''), count(*)
         FROM events WHERE at < $1 GROUP BY 1, 2, 3, 4, 5, 6, 7
         ON CONFLICT (day, name, channel, lang, campaign, flow, faq)
         DO UPDATE SET count = daily_counts.count + excluded.count`,
        [cutoff],
      );
      await c.query(
        `INSERT INTO daily_counts (day, name, lang, faq, count)
         SELECT at - at % ${DAY}, CASE WHEN helpful THEN 'helpful' ELSE 'not_helpful' END,
                coalesce(lang, ''), faq, count(*)
         FROM feedback WHERE at < $1 GROUP BY 1, 2, 3, 4
         ON CONFLICT (day, name, channel, lang, campaign, flow, faq)
         DO UPDATE SET count = daily_counts.count + excluded.count`,
        [cutoff],
      );
      const purge = async (table: string) =>
        (await c.query(`DELETE FROM ${table} WHERE at < $1`, [cutoff])).rowCount ?? 0;
      return {
        sessions,
        events: await purge('events'),
        feedback: await purge('feedback'),
        unanswered: await purge('unanswered'),
      };
    });
  }

  report(sinceMs: number): Promise<Report> {
    return buildPgReport(this.pool, sinceMs);
  }

  async unanswered(sinceMs: number): Promise<UnansweredRow[]> {
    const { rows } = await this.pool.query(
      `SELECT lang, query, count(*)::int AS count, max(at)::float8 AS last FROM unanswered WHERE at >= $1
       GROUP BY query, lang ORDER BY count DESC, last DESC, query COLLATE "C", lang COLLATE "C"`,
      [sinceMs],
    );
    return rows as UnansweredRow[];
  }

  conversationsPerDay(sinceMs: number): Promise<PerDay> {
    return perDay(this.pool, 'conversation_started', sinceMs);
  }

  async latestContent(): Promise<ContentSnapshot | null> {
    const { rows } = await this.pool.query(
      'SELECT version, saved_at, files FROM content_snapshots ORDER BY saved_at DESC LIMIT 1',
    );
    const row = rows[0] as { version: string; saved_at: number; files: string } | undefined;
    if (!row) return null;
    try {
      return { version: row.version, savedAt: row.saved_at, files: JSON.parse(row.files) };
    } catch {
      return null;
    }
  }

  async saveContent(version: string, files: Record<string, string>): Promise<boolean> {
    const { rows } = await this.pool.query(
      'SELECT version FROM content_snapshots ORDER BY saved_at DESC LIMIT 1',
    );
    if (rows[0]?.version === version) return false;
    await this.transaction(async (c) => {
      await c.query(
        `INSERT INTO content_snapshots (version, saved_at, files) VALUES ($1, $2, $3)
         ON CONFLICT (version) DO UPDATE SET saved_at = excluded.saved_at, files = excluded.files`,
        [version, this.now(), JSON.stringify(files)],
      );
      await c.query('DELETE FROM content_snapshots WHERE version <> $1', [version]);
    });
    return true;
  }

  async importFaq(entries: Iterable<FaqEntry>): Promise<ImportReport> {
    const report: ImportReport = { added: 0, updated: 0, removed: 0, unchanged: 0 };
    const list = [...entries];
    await this.transaction(async (c) => {
      const { rows } = await c.query('SELECT id, hash FROM faq_entries');
      const existing = new Map((rows as Array<{ id: string; hash: string }>).map((r) => [r.id, r.hash]));
      const seen = new Set<string>();
      for (const entry of list) {
        seen.add(entry.id);
        const data = JSON.stringify(entry);
        const hash = createHash('sha256').update(data).digest('hex');
        const old = existing.get(entry.id);
        if (old === hash) {
          report.unchanged++;
          continue;
        }
        await c.query(
          `INSERT INTO faq_entries (id, data, hash) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET data = excluded.data, hash = excluded.hash`,
          [entry.id, data, hash],
        );
        if (old === undefined) report.added++;
        else report.updated++;
      }
      const gone = [...existing.keys()].filter((id) => !seen.has(id));
      if (gone.length) await c.query('DELETE FROM faq_entries WHERE id = ANY($1)', [gone]);
      report.removed = gone.length;
    });
    return report;
  }

  async mediaUpload(
    channel: string,
    account: string,
    sha256: string,
    maxAgeMs = Number.POSITIVE_INFINITY,
  ): Promise<string | null> {
    const { rows } = await this.pool.query(
      'SELECT media_id, at FROM media_uploads WHERE channel = $1 AND account = $2 AND sha256 = $3',
      [channel, account, sha256],
    );
    const row = rows[0] as { media_id: string; at: number } | undefined;
    if (!row || this.now() - row.at > maxAgeMs) return null;
    return row.media_id;
  }

  async saveMediaUpload(channel: string, account: string, sha256: string, mediaId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO media_uploads (channel, account, sha256, media_id, at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (channel, account, sha256) DO UPDATE SET media_id = excluded.media_id, at = excluded.at`,
      [channel, account, sha256, mediaId, this.now()],
    );
  }

  async dropMediaUpload(channel: string, account: string, sha256: string): Promise<void> {
    await this.pool.query('DELETE FROM media_uploads WHERE channel = $1 AND account = $2 AND sha256 = $3', [
      channel,
      account,
      sha256,
    ]);
  }

  async getMeta(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  async deleteMeta(key: string): Promise<void> {
    await this.pool.query('DELETE FROM meta WHERE key = $1', [key]);
  }

  async countSessions(): Promise<number> {
    return Number((await this.pool.query('SELECT count(*) AS n FROM sessions')).rows[0].n);
  }

  async *dump(): AsyncIterable<Chunk> {
    const queries: { [T in Table]: string } = {
      sessions: `SELECT user_key AS "userKey", channel, state, seen, recent, updated_at AS "updatedAt",
                 inbound_at AS "inboundAt" FROM sessions ORDER BY user_key`,
      events: 'SELECT at, name, channel, lang, campaign, flow, faq FROM events ORDER BY id',
      feedback: 'SELECT at, faq, lang, helpful FROM feedback ORDER BY id',
      unanswered: 'SELECT at, lang, query FROM unanswered ORDER BY id',
      dailyCounts: `SELECT day, name, channel, lang, campaign, flow, faq, count FROM daily_counts
                    ORDER BY day, name, channel, lang, campaign, flow, faq`,
      contentSnapshots:
        'SELECT version, saved_at AS "savedAt", files FROM content_snapshots ORDER BY version',
      handoffs: `SELECT id, user_key AS "userKey", channel, address, pseudonym, lang, thread, opened_at AS "openedAt",
                 replied_fast AS "repliedFast", last_at AS "lastAt", closed_at AS "closedAt" FROM handoffs ORDER BY id`,
      mediaUploads: `SELECT channel, account, sha256, media_id AS "mediaId", at FROM media_uploads
                     ORDER BY channel, account, sha256`,
      subscriptions: `SELECT user_key AS "userKey", topic, lang, channel, address, consent_at AS "consentAt",
                      consent_how AS "consentHow" FROM subscriptions ORDER BY user_key, topic`,
      broadcasts: `SELECT id, topic, texts, missing, status, created_at AS "createdAt", queued_at AS "queuedAt",
                   done_at AS "doneAt" FROM broadcasts ORDER BY id`,
      broadcastDeliveries: `SELECT id, broadcast_id AS "broadcastId", user_key AS "userKey", channel, lang, address,
                            state, sent_at AS "sentAt", replied FROM broadcast_deliveries ORDER BY id`,
      outbox: `SELECT channel, user_key AS "userKey", priority, state, body, attempts, created_at AS "createdAt",
               next_at AS "nextAt", reason, delivery_id AS "deliveryId" FROM outbox WHERE state IN (${UNSENT_STATES}) ORDER BY id`,
    };
    for (const table of Object.keys(queries) as Table[]) {
      for (let offset = 0; ; offset += CHUNK) {
        const { rows } = await this.pool.query(`${queries[table]} LIMIT ${CHUNK} OFFSET ${offset}`);
        if (!rows.length) break;
        const out =
          table === 'contentSnapshots'
            ? rows.map((r) => ({ ...r, files: JSON.parse(r.files) }))
            : table === 'outbox'
              ? rows.map((r) => ({
                  ...r,
                  body: new Uint8Array(r.body),
                  createdAt: Number(r.createdAt),
                  nextAt: Number(r.nextAt),
                  deliveryId: r.deliveryId === null ? null : Number(r.deliveryId),
                }))
              : rows;
        yield { table, rows: out } as Chunk;
        if (rows.length < CHUNK) break;
      }
    }
  }

  async load(chunks: AsyncIterable<Chunk>): Promise<Record<Table, number>> {
    const counts: Record<Table, number> = {
      sessions: 0,
      events: 0,
      feedback: 0,
      unanswered: 0,
      dailyCounts: 0,
      contentSnapshots: 0,
      handoffs: 0,
      mediaUploads: 0,
      subscriptions: 0,
      broadcasts: 0,
      broadcastDeliveries: 0,
      outbox: 0,
    };
    await this.transaction(async (c) => {
      const { rows } = await c.query(
        `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM feedback)
              + (SELECT count(*) FROM unanswered) + (SELECT count(*) FROM daily_counts)
              + (SELECT count(*) FROM handoffs)
              + (SELECT count(*) FROM broadcasts)
              + (SELECT count(*) FROM outbox WHERE state IN (${UNSENT_STATES})) AS n`,
      );
      const held = Number(rows[0].n) > 0;
      for await (const chunk of chunks) {
        if (!chunk.rows.length) continue;
        if (held && !REPLACEABLE.has(chunk.table))
          throw new Error('The target database already holds records; copy into an empty database.');
        await insertRows(c, chunk);
        counts[chunk.table] += chunk.rows.length;
      }
      // Rows came with their ids: the next broadcast gets one after them.
      for (const table of ['broadcasts', 'broadcast_deliveries'])
        await c.query(
          `SELECT setval(pg_get_serial_sequence('${table}', 'id'), coalesce((SELECT max(id) FROM ${table}), 0) + 1, false)`,
        );
    });
    return counts;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private transaction<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}

const OPEN_HANDOFF = `SELECT id, user_key, channel, address, pseudonym, lang, thread, opened_at,
  replied_fast, last_at, closed_at FROM handoffs`;

/**
 * Closing a conversation clears its user key and sealed id, and keeps its times to the hour, as
 * counted records do. The caller adds the WHERE clause.
 */
function closeSql(now: number): string {
  const at = int(recordTime(now));
  return `UPDATE handoffs SET user_key = NULL, address = NULL, closed_at = ${at}, last_at = ${at},
    opened_at = opened_at - opened_at % ${HOUR}`;
}

function parseHandoff(row: unknown): HandoffRow | null {
  return row ? HandoffRowSchema.parse(row) : null;
}

function parseStored(row: { state: string; seen: string; inbound_at: number }): Stored | null {
  // A row from an older version that no longer parses starts over rather than failing the turn.
  let json: unknown;
  try {
    json = JSON.parse(row.state);
  } catch {
    return null;
  }
  const parsed = SessionSchema.safeParse(json);
  return parsed.success
    ? { session: parsed.data, seen: row.seen ? row.seen.split(',') : [], inboundAt: row.inbound_at }
    : null;
}

const COLUMNS: {
  [T in Table]: { table: string; columns: Array<[keyof Rows[T], string]>; conflict: string };
} = {
  sessions: {
    table: 'sessions',
    columns: [
      ['userKey', 'user_key'],
      ['channel', 'channel'],
      ['state', 'state'],
      ['seen', 'seen'],
      ['recent', 'recent'],
      ['updatedAt', 'updated_at'],
      ['inboundAt', 'inbound_at'],
    ],
    conflict: `ON CONFLICT (user_key) DO UPDATE SET channel = excluded.channel, state = excluded.state,
      seen = excluded.seen, recent = excluded.recent, updated_at = excluded.updated_at, inbound_at = excluded.inbound_at`,
  },
  events: {
    table: 'events',
    columns: ['at', 'name', 'channel', 'lang', 'campaign', 'flow', 'faq'].map((c) => [c, c]) as Array<
      [keyof Rows['events'], string]
    >,
    conflict: '',
  },
  feedback: {
    table: 'feedback',
    columns: ['at', 'faq', 'lang', 'helpful'].map((c) => [c, c]) as Array<[keyof Rows['feedback'], string]>,
    conflict: '',
  },
  unanswered: {
    table: 'unanswered',
    columns: ['at', 'lang', 'query'].map((c) => [c, c]) as Array<[keyof Rows['unanswered'], string]>,
    conflict: '',
  },
  dailyCounts: {
    table: 'daily_counts',
    columns: ['day', 'name', 'channel', 'lang', 'campaign', 'flow', 'faq', 'count'].map((c) => [
      c,
      c,
    ]) as Array<[keyof Rows['dailyCounts'], string]>,
    conflict: `ON CONFLICT (day, name, channel, lang, campaign, flow, faq)
      DO UPDATE SET count = daily_counts.count + excluded.count`,
  },
  contentSnapshots: {
    table: 'content_snapshots',
    columns: [
      ['version', 'version'],
      ['savedAt', 'saved_at'],
      ['files', 'files'],
    ],
    conflict: 'ON CONFLICT (version) DO UPDATE SET saved_at = excluded.saved_at, files = excluded.files',
  },
  handoffs: {
    table: 'handoffs',
    columns: [
      ['id', 'id'],
      ['userKey', 'user_key'],
      ['channel', 'channel'],
      ['address', 'address'],
      ['pseudonym', 'pseudonym'],
      ['lang', 'lang'],
      ['thread', 'thread'],
      ['openedAt', 'opened_at'],
      ['repliedFast', 'replied_fast'],
      ['lastAt', 'last_at'],
      ['closedAt', 'closed_at'],
    ],
    conflict: '',
  },
  mediaUploads: {
    table: 'media_uploads',
    columns: [
      ['channel', 'channel'],
      ['account', 'account'],
      ['sha256', 'sha256'],
      ['mediaId', 'media_id'],
      ['at', 'at'],
    ],
    conflict: `ON CONFLICT (channel, account, sha256) DO UPDATE SET media_id = excluded.media_id, at = excluded.at`,
  },
  subscriptions: {
    table: 'subscriptions',
    columns: [
      ['userKey', 'user_key'],
      ['topic', 'topic'],
      ['lang', 'lang'],
      ['channel', 'channel'],
      ['address', 'address'],
      ['consentAt', 'consent_at'],
      ['consentHow', 'consent_how'],
    ],
    conflict: 'ON CONFLICT (user_key, topic) DO NOTHING',
  },
  broadcasts: {
    table: 'broadcasts',
    columns: [
      ['id', 'id'],
      ['topic', 'topic'],
      ['texts', 'texts'],
      ['missing', 'missing'],
      ['status', 'status'],
      ['createdAt', 'created_at'],
      ['queuedAt', 'queued_at'],
      ['doneAt', 'done_at'],
    ],
    conflict: '',
  },
  broadcastDeliveries: {
    table: 'broadcast_deliveries',
    columns: [
      ['id', 'id'],
      ['broadcastId', 'broadcast_id'],
      ['userKey', 'user_key'],
      ['channel', 'channel'],
      ['lang', 'lang'],
      ['address', 'address'],
      ['state', 'state'],
      ['sentAt', 'sent_at'],
      ['replied', 'replied'],
    ],
    conflict: '',
  },
  outbox: {
    table: 'outbox',
    columns: [
      ['channel', 'channel'],
      ['userKey', 'user_key'],
      ['priority', 'priority'],
      ['state', 'state'],
      ['body', 'body'],
      ['attempts', 'attempts'],
      ['createdAt', 'created_at'],
      ['nextAt', 'next_at'],
      ['reason', 'reason'],
      ['deliveryId', 'delivery_id'],
    ],
    conflict: '',
  },
};

/** One multi-row INSERT per chunk: a thousand rows in one round trip. */
async function insertRows(c: pg.PoolClient, chunk: Chunk): Promise<void> {
  const spec = COLUMNS[chunk.table] as { table: string; columns: Array<[string, string]>; conflict: string };
  const params: unknown[] = [];
  const tuples = (chunk.rows as Array<Record<string, unknown>>).map((row) => {
    const slots = spec.columns.map(([field]) => {
      const v = row[field];
      params.push(field === 'files' ? JSON.stringify(v) : v instanceof Uint8Array ? Buffer.from(v) : v);
      return `$${params.length}`;
    });
    return `(${slots.join(', ')})`;
  });
  await c.query(
    `INSERT INTO ${spec.table} (${spec.columns.map(([, col]) => col).join(', ')}) VALUES ${tuples.join(', ')} ${spec.conflict}`,
    params,
  );
}

/** Applies the missing migrations, one instance at a time: others wait, then find nothing to do. */
async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1, 0)', [LOCK_MIGRATE]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
      const { rows } = await c.query('SELECT version FROM schema_version');
      let current = rows[0] ? Number(rows[0].version) : 0;
      if (!rows[0]) await c.query('INSERT INTO schema_version (version) VALUES (0)');
      if (current > MIGRATIONS.length)
        throw new Error(
          `The database schema is at version ${current}, newer than this version of Puente knows (${MIGRATIONS.length}): upgrade Puente.`,
        );
      for (; current < MIGRATIONS.length; current++) {
        await c.query('BEGIN');
        try {
          await c.query(MIGRATIONS[current]!);
          await c.query('UPDATE schema_version SET version = $1', [current + 1]);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK');
          throw e;
        }
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1, 0)', [LOCK_MIGRATE]);
    }
  } finally {
    c.release();
  }
}

export { MIGRATIONS };
