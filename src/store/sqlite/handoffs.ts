import { type HandoffRow, HandoffRowSchema } from '../handoffs.js';
import { HOUR, recordTime } from '../times.js';
import type { Db } from './db.js';

/**
 * Conversations with a person on SQLite: who (a user key and a sealed channel id, only while
 * open), which topic of the staff inbox, and when. Never what was said.
 */
export class Handoffs {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  open(
    userKey: string,
    row: { id: string; channel: string; address: string; pseudonym: string; lang: string },
  ): void {
    const at = this.now();
    this.db
      .prepare(
        `INSERT INTO handoffs (id, user_key, channel, address, pseudonym, lang, opened_at, last_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(row.id, userKey, row.channel, row.address, row.pseudonym, row.lang, at, at);
  }

  get(id: string): HandoffRow | null {
    return this.parse(this.db.prepare('SELECT * FROM handoffs WHERE id = ?').get(id));
  }

  /** The user's open conversation, if any. */
  current(userKey: string): HandoffRow | null {
    return this.parse(
      this.db
        .prepare(
          'SELECT * FROM handoffs WHERE user_key = ? AND closed_at IS NULL ORDER BY opened_at DESC, rowid DESC LIMIT 1',
        )
        .get(userKey),
    );
  }

  byThread(thread: string): HandoffRow | null {
    return this.parse(
      this.db
        .prepare('SELECT * FROM handoffs WHERE thread = ? ORDER BY opened_at DESC, rowid DESC LIMIT 1')
        .get(thread),
    );
  }

  setThread(id: string, thread: string): void {
    this.db.prepare('UPDATE handoffs SET thread = ? WHERE id = ?').run(thread, id);
  }

  /** The user wrote: the idle clock starts again. Only the turn's own user's conversation. */
  touch(userKey: string, id: string): void {
    this.db
      .prepare('UPDATE handoffs SET last_at = ? WHERE id = ? AND user_key = ? AND closed_at IS NULL')
      .run(this.now(), id, userKey);
  }

  /** A staff member answered: whether the first answer came within an hour is what the report counts. */
  replied(id: string): void {
    const at = this.now();
    this.db
      .prepare(
        `UPDATE handoffs SET replied_fast = coalesce(replied_fast, CASE WHEN ? - opened_at <= ${HOUR} THEN 1 ELSE 0 END),
           last_at = ? WHERE id = ? AND closed_at IS NULL`,
      )
      .run(at, at, id);
  }

  /**
   * Closes a conversation: the user key and the sealed id go, and the times keep only the hour,
   * as counted records do. With `userKey`, only when it is that user's.
   */
  close(id: string, userKey?: string): boolean {
    const at = recordTime(this.now());
    const sql = `UPDATE handoffs SET user_key = NULL, address = NULL, closed_at = @at, last_at = @at,
           opened_at = opened_at - opened_at % ${HOUR}
         WHERE id = @id AND closed_at IS NULL${userKey === undefined ? '' : ' AND user_key = @userKey'}`;
    return this.db.prepare(sql).run({ at, id, ...(userKey === undefined ? {} : { userKey }) }).changes > 0;
  }

  /** A forgotten user's open conversations are closed: nothing points to them any more. */
  closeAllOf(userKey: string): void {
    const ids = this.db
      .prepare('SELECT id FROM handoffs WHERE user_key = ?')
      .pluck()
      .all(userKey) as string[];
    for (const id of ids) this.close(id);
  }

  /** Open conversations without a message since `before`. */
  idleSince(before: number): HandoffRow[] {
    return this.db
      .prepare('SELECT * FROM handoffs WHERE closed_at IS NULL AND last_at < ?')
      .all(before)
      .map((r) => HandoffRowSchema.parse(r));
  }

  private parse(row: unknown): HandoffRow | null {
    return row ? HandoffRowSchema.parse(row) : null;
  }
}
