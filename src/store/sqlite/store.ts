import type { FaqEntry } from '../../faq/schema.js';
import { importFaq } from '../../faq/store.js';
import { UNSENT_STATES } from '../../outbox/contract.js';
import {
  buildReport,
  conversationsPerDay,
  type PerDay,
  type Report,
  unansweredRows,
} from '../../report/report.js';
import type {
  Chunk,
  ContentSnapshot,
  Decision,
  HandoffRow,
  ImportReport,
  Loaded,
  Purged,
  Rows,
  Store,
  Stored,
  Table,
  UnansweredRow,
  Write,
} from '../contract.js';
import { SqliteBroadcasts } from './broadcasts.js';
import { ContentSnapshots } from './content-snapshots.js';
import { type Db, deleteMeta, getMeta, openDb, setMeta } from './db.js';
import { Forgetter } from './forget.js';
import { Handoffs } from './handoffs.js';
import { MediaUploads } from './media-uploads.js';
import { SqliteOutbox } from './outbox.js';
import { RecentMessages } from './recent-messages.js';
import { Records } from './records.js';
import { SqliteSessions } from './sessions.js';
import { SqliteSubscriptions } from './subscriptions.js';

const CHUNK = 1000;
/** Rows a second copy replaces instead of adding to: nothing in them is counted. */
const REPLACEABLE: ReadonlySet<Table> = new Set([
  'sessions',
  'contentSnapshots',
  'mediaUploads',
  'subscriptions',
]);

/**
 * The embedded engine: one SQLite file, one process. Everything runs synchronously inside
 * better-sqlite3's transactions, with prepared statements and the session cache; the promise
 * the contract asks for is only the envelope.
 */
export class SqliteStore implements Store {
  readonly engine = 'sqlite';
  readonly sessions: SqliteSessions;
  readonly records: Records;
  readonly forgetter: Forgetter;
  readonly recent: RecentMessages;
  readonly snapshots: ContentSnapshots;
  readonly handoffs: Handoffs;
  readonly uploads: MediaUploads;
  readonly outbox: SqliteOutbox;
  readonly subscriptions: SqliteSubscriptions;
  readonly broadcasts: SqliteBroadcasts;
  private readonly turnTx;
  private readonly forgetTx;

  constructor(
    readonly db: Db,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.sessions = new SqliteSessions(db, now);
    this.records = new Records(db, now);
    this.handoffs = new Handoffs(db, now);
    this.forgetter = new Forgetter(db, this.sessions, this.handoffs);
    this.recent = new RecentMessages(db, now);
    this.snapshots = new ContentSnapshots(db, now);
    this.uploads = new MediaUploads(db, now);
    this.outbox = new SqliteOutbox(db, this.recent, now);
    this.subscriptions = new SqliteSubscriptions(db, now);
    this.broadcasts = new SqliteBroadcasts(db, now);
    this.turnTx = db.transaction(<R>(key: string, decide: (loaded: Loaded) => Decision<R>) => {
      const stored = this.sessions.read(key);
      const { result, writes } = decide({
        stored,
        recent: () => this.recent.list(key),
        subscribed: this.subscriptions.topicsSync(key),
        handoff: () => this.handoffs.current(key),
      });
      for (const w of writes) this.apply(key, w);
      return result;
    });
    this.forgetTx = db.transaction((key: string) => this.forgetter.forgetUser(key));
  }

  static open(path: string, now?: () => number): SqliteStore {
    return new SqliteStore(openDb(path), now);
  }

  async turn<R>(key: string, decide: (loaded: Loaded) => Decision<R>): Promise<R> {
    return this.turnSync(key, decide);
  }

  /** The turn itself, for callers that stay synchronous (the benchmark's baseline comparison). */
  turnSync<R>(key: string, decide: (loaded: Loaded) => Decision<R>): R {
    let result: R;
    try {
      result = this.turnTx.immediate(key, decide) as R;
    } catch (e) {
      // The transaction rolled back: what the cache learnt during it never happened.
      this.sessions.forgetCached();
      throw e;
    }
    this.forgetter.wipe();
    return result;
  }

  private apply(key: string, w: Write): void {
    switch (w.type) {
      case 'session.put':
        this.sessions.write(key, w.channel, { session: w.session, seen: w.seen, inboundAt: w.inboundAt });
        return;
      case 'forget':
        this.forgetter.forgetUser(key);
        return;
      case 'recent.append':
        this.recent.append(key, w.ids);
        return;
      case 'outbox':
        this.outbox.insert(key, w.channel, w.priority, w.body);
        return;
      case 'outbox.release':
        this.outbox.releaseSync(key);
        return;
      case 'subscribe':
        this.subscriptions.addSync(key, w);
        return;
      case 'unsubscribe':
        this.subscriptions.remove(key, w.topic);
        return;
      case 'subscriptions.lang':
        this.subscriptions.setLang(key, w.lang);
        return;
      case 'broadcast.reply':
        this.subscriptions.noteReply(key);
        return;
      case 'handoff.open':
        this.handoffs.open(key, w);
        return;
      case 'handoff.touch':
        this.handoffs.touch(key, w.id);
        return;
      case 'handoff.close':
        this.handoffs.close(w.id, key);
        return;
      default:
        this.records.add(w);
    }
  }

  async handoff(id: string): Promise<HandoffRow | null> {
    return this.handoffs.get(id);
  }

  async handoffByThread(thread: string): Promise<HandoffRow | null> {
    return this.handoffs.byThread(thread);
  }

  async setHandoffThread(id: string, thread: string): Promise<void> {
    this.handoffs.setThread(id, thread);
  }

  async handoffReplied(id: string): Promise<void> {
    this.handoffs.replied(id);
  }

  async closeHandoff(id: string): Promise<boolean> {
    // One process, synchronous: no turn can run in between, which is the user's lock here.
    return this.handoffs.close(id);
  }

  async idleHandoffs(before: number): Promise<HandoffRow[]> {
    return this.handoffs.idleSince(before);
  }

  async session(key: string): Promise<Stored | null> {
    return this.sessions.read(key);
  }

  async forget(key: string): Promise<void> {
    try {
      this.forgetTx.immediate(key);
    } catch (e) {
      this.sessions.forgetCached();
      throw e;
    }
    this.forgetter.wipe();
  }

  async appendRecent(key: string, ids: readonly string[]): Promise<void> {
    if (ids.length) this.recent.append(key, ids);
  }

  async lastInbound(key: string): Promise<number | null> {
    return this.sessions.lastInbound(key);
  }

  async purge(cutoff: number): Promise<Purged> {
    const purged = this.db.transaction(() => {
      // What waits for users who go now goes with them; so does anything older than the cutoff.
      this.outbox.purgeBefore(cutoff);
      this.db.prepare(UNLINK_OLD_DELIVERIES_SQL).run(cutoff);
      return { sessions: this.sessions.purgeIdleBefore(cutoff), ...this.records.purgeBefore(cutoff) };
    })();
    // The deleted rows' old pages leave the WAL too, as after a forget.
    if (purged.sessions + purged.events + purged.feedback + purged.unanswered > 0) this.forgetter.deleted();
    this.forgetter.wipe();
    return purged;
  }

  async report(sinceMs: number): Promise<Report> {
    return buildReport(this.db, sinceMs);
  }

  async unanswered(sinceMs: number): Promise<UnansweredRow[]> {
    return unansweredRows(this.db, sinceMs);
  }

  async conversationsPerDay(sinceMs: number): Promise<PerDay> {
    return conversationsPerDay(this.db, sinceMs);
  }

  async latestContent(): Promise<ContentSnapshot | null> {
    return this.snapshots.latest();
  }

  async saveContent(version: string, files: Record<string, string>): Promise<boolean> {
    return this.snapshots.save(version, files);
  }

  async importFaq(entries: Iterable<FaqEntry>): Promise<ImportReport> {
    return importFaq(this.db, entries);
  }

  async mediaUpload(
    channel: string,
    account: string,
    sha256: string,
    maxAgeMs?: number,
  ): Promise<string | null> {
    return this.uploads.get(channel, account, sha256, maxAgeMs);
  }

  async saveMediaUpload(channel: string, account: string, sha256: string, mediaId: string): Promise<void> {
    this.uploads.put(channel, account, sha256, mediaId);
  }

  async dropMediaUpload(channel: string, account: string, sha256: string): Promise<void> {
    this.uploads.drop(channel, account, sha256);
  }

  async getMeta(key: string): Promise<string | undefined> {
    return getMeta(this.db, key);
  }

  async setMeta(key: string, value: string): Promise<void> {
    setMeta(this.db, key, value);
  }

  async deleteMeta(key: string): Promise<void> {
    deleteMeta(this.db, key);
  }

  async countSessions(): Promise<number> {
    return this.sessions.count();
  }

  async *dump(): AsyncIterable<Chunk> {
    const queries: { [T in Table]: string } = {
      sessions: `SELECT user_key AS userKey, channel, state, seen, recent, updated_at AS updatedAt,
                 inbound_at AS inboundAt FROM sessions ORDER BY id`,
      events: 'SELECT at, name, channel, lang, campaign, flow, faq FROM events ORDER BY id',
      feedback: 'SELECT at, faq, lang, helpful = 1 AS helpful FROM feedback ORDER BY id',
      unanswered: 'SELECT at, lang, query FROM unanswered ORDER BY id',
      dailyCounts: 'SELECT day, name, channel, lang, campaign, flow, faq, count FROM daily_counts',
      contentSnapshots: 'SELECT version, saved_at AS savedAt, files FROM content_snapshots',
      handoffs: `SELECT id, user_key AS userKey, channel, address, pseudonym, lang, thread, opened_at AS openedAt,
                 replied_fast AS repliedFast, last_at AS lastAt, closed_at AS closedAt FROM handoffs ORDER BY rowid`,
      mediaUploads: `SELECT channel, account, sha256, media_id AS mediaId, at FROM media_uploads
                     ORDER BY channel, account, sha256`,
      subscriptions: `SELECT user_key AS userKey, topic, lang, channel, address, consent_at AS consentAt,
                      consent_how AS consentHow FROM subscriptions ORDER BY user_key, topic`,
      broadcasts: `SELECT id, topic, texts, missing, status, created_at AS createdAt, queued_at AS queuedAt,
                   done_at AS doneAt FROM broadcasts ORDER BY id`,
      broadcastDeliveries: `SELECT id, broadcast_id AS broadcastId, user_key AS userKey, channel, lang, address,
                            state, sent_at AS sentAt, replied FROM broadcast_deliveries ORDER BY id`,
      outbox: `SELECT channel, user_key AS userKey, priority, state, body, attempts, created_at AS createdAt,
               next_at AS nextAt, reason, delivery_id AS deliveryId FROM outbox WHERE state IN (${UNSENT_STATES}) ORDER BY id`,
    };
    for (const table of Object.keys(queries) as Table[]) {
      let rows: unknown[] = [];
      for (const row of this.db.prepare(queries[table]).iterate()) {
        rows.push(fromSqlite(table, row as Record<string, unknown>));
        if (rows.length === CHUNK) {
          yield { table, rows } as Chunk;
          rows = [];
        }
      }
      if (rows.length) yield { table, rows } as Chunk;
    }
  }

  async load(chunks: AsyncIterable<Chunk>): Promise<Record<Table, number>> {
    // better-sqlite3 cannot await inside a transaction: gather first, then write at once.
    const all: Chunk[] = [];
    for await (const c of chunks) all.push(c);
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
    this.db.transaction(() => {
      const held = this.db
        .prepare(
          `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM feedback) + (SELECT count(*) FROM unanswered) + (SELECT count(*) FROM daily_counts) + (SELECT count(*) FROM handoffs) + (SELECT count(*) FROM broadcasts) + (SELECT count(*) FROM outbox WHERE state IN (${UNSENT_STATES}))`,
        )
        .pluck()
        .get() as number;
      if (held > 0 && all.some((c) => !REPLACEABLE.has(c.table) && c.rows.length))
        throw new Error('The target database already holds records; copy into an empty database.');
      for (const c of all) {
        for (const row of c.rows) this.insert(c.table, row);
        counts[c.table] += c.rows.length;
      }
    })();
    this.sessions.forgetCached();
    return counts;
  }

  private insert(table: Table, row: Rows[Table]): void {
    const r = row as Record<string, unknown>;
    const sql: { [T in Table]: string } = {
      sessions: `INSERT INTO sessions (user_key, channel, state, seen, recent, updated_at, inbound_at)
                 VALUES (@userKey, @channel, @state, @seen, @recent, @updatedAt, @inboundAt)
                 ON CONFLICT (user_key) DO UPDATE SET channel = excluded.channel, state = excluded.state,
                   seen = excluded.seen, recent = excluded.recent, updated_at = excluded.updated_at,
                   inbound_at = excluded.inbound_at`,
      events: `INSERT INTO events (at, name, channel, lang, campaign, flow, faq)
               VALUES (@at, @name, @channel, @lang, @campaign, @flow, @faq)`,
      feedback: 'INSERT INTO feedback (at, faq, lang, helpful) VALUES (@at, @faq, @lang, @helpful)',
      unanswered: 'INSERT INTO unanswered (at, lang, query) VALUES (@at, @lang, @query)',
      dailyCounts: `INSERT INTO daily_counts (day, name, channel, lang, campaign, flow, faq, count)
                    VALUES (@day, @name, @channel, @lang, @campaign, @flow, @faq, @count)
                    ON CONFLICT DO UPDATE SET count = count + excluded.count`,
      contentSnapshots: `INSERT INTO content_snapshots (version, saved_at, files) VALUES (@version, @savedAt, @files)
                         ON CONFLICT (version) DO UPDATE SET saved_at = excluded.saved_at, files = excluded.files`,
      handoffs: `INSERT INTO handoffs (id, user_key, channel, address, pseudonym, lang, thread, opened_at, replied_fast,
                   last_at, closed_at)
                 VALUES (@id, @userKey, @channel, @address, @pseudonym, @lang, @thread, @openedAt, @repliedFast,
                   @lastAt, @closedAt)`,
      mediaUploads: `INSERT INTO media_uploads (channel, account, sha256, media_id, at)
                     VALUES (@channel, @account, @sha256, @mediaId, @at)
                     ON CONFLICT DO UPDATE SET media_id = excluded.media_id, at = excluded.at`,
      subscriptions: `INSERT INTO subscriptions (user_key, topic, lang, channel, address, consent_at, consent_how)
                      VALUES (@userKey, @topic, @lang, @channel, @address, @consentAt, @consentHow)
                      ON CONFLICT DO NOTHING`,
      broadcasts: `INSERT INTO broadcasts (id, topic, texts, missing, status, created_at, queued_at, done_at)
                   VALUES (@id, @topic, @texts, @missing, @status, @createdAt, @queuedAt, @doneAt)`,
      broadcastDeliveries: `INSERT INTO broadcast_deliveries
                              (id, broadcast_id, user_key, channel, lang, address, state, sent_at, replied)
                            VALUES (@id, @broadcastId, @userKey, @channel, @lang, @address, @state, @sentAt, @replied)`,
      outbox: `INSERT INTO outbox
                 (channel, user_key, priority, state, body, attempts, created_at, next_at, reason, delivery_id)
               VALUES (@channel, @userKey, @priority, @state, @body, @attempts, @createdAt, @nextAt, @reason,
                 @deliveryId)`,
    };
    const values =
      table === 'feedback'
        ? { ...r, helpful: r.helpful ? 1 : 0 }
        : table === 'broadcastDeliveries'
          ? { ...r, replied: r.replied ? 1 : 0 }
          : table === 'contentSnapshots'
            ? { ...r, files: JSON.stringify(r.files) }
            : table === 'outbox'
              ? { ...r, body: Buffer.from(r.body as Uint8Array) }
              : r;
    this.db.prepare(sql[table]).run(values);
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  closeSync(): void {
    if (this.db.open) this.db.close();
  }
}

function fromSqlite(table: Table, row: Record<string, unknown>): unknown {
  if (table === 'feedback') return { ...row, helpful: row.helpful === 1 };
  if (table === 'broadcastDeliveries') return { ...row, replied: row.replied === 1 };
  if (table === 'contentSnapshots') return { ...row, files: JSON.parse(String(row.files)) };
  if (table === 'outbox') return { ...row, body: new Uint8Array(row.body as Buffer) };
  return row;
}

/**
 * A broadcast's figures outlive retention, but not the link to who got it: once a delivery is
 * settled and older than the cutoff, its row keeps only its state and time.
 */
const UNLINK_OLD_DELIVERIES_SQL = `UPDATE broadcast_deliveries SET user_key = 'gone:' || id, address = ''
   WHERE state <> 'queued' AND coalesce(sent_at, 0) < ? AND user_key NOT LIKE 'gone:%'`;
