import { z } from 'zod';
import { LangSchema } from '../text/lang.js';
import type { Db } from './db.js';
import { HOUR, recordTime } from './times.js';

export const HandoffRowSchema = z.object({
  id: z.number(),
  user_key: z.string().nullable(),
  channel: z.string(),
  address: z.string().nullable(),
  pseudonym: z.string(),
  lang: LangSchema,
  thread: z.string().nullable(),
  opened_at: z.number(),
  /** 1 when staff first answered within an hour, 0 when later, null before any answer. */
  replied_fast: z.number().nullable(),
  last_at: z.number(),
  closed_at: z.number().nullable(),
});
export type HandoffRow = z.infer<typeof HandoffRowSchema>;

/**
 * Conversations with a person: who (a user key and a sealed channel id, only while open), which
 * topic of the staff inbox, and when. Never what was said.
 */
export class Handoffs {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  open(row: {
    userKey: string;
    channel: string;
    address: string;
    pseudonym: string;
    lang: string;
  }): HandoffRow {
    const at = this.now();
    const id = this.db
      .prepare(
        `INSERT INTO handoffs (user_key, channel, address, pseudonym, lang, opened_at, last_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      .pluck()
      .get(row.userKey, row.channel, row.address, row.pseudonym, row.lang, at, at) as number;
    return this.get(id)!;
  }

  get(id: number): HandoffRow | null {
    return this.parse(this.db.prepare('SELECT * FROM handoffs WHERE id = ?').get(id));
  }

  /** The user's open conversation, if any. */
  current(userKey: string): HandoffRow | null {
    return this.parse(
      this.db
        .prepare('SELECT * FROM handoffs WHERE user_key = ? AND closed_at IS NULL ORDER BY id DESC LIMIT 1')
        .get(userKey),
    );
  }

  byThread(thread: string): HandoffRow | null {
    return this.parse(
      this.db.prepare('SELECT * FROM handoffs WHERE thread = ? ORDER BY id DESC LIMIT 1').get(thread),
    );
  }

  setThread(id: number, thread: string): void {
    this.db.prepare('UPDATE handoffs SET thread = ? WHERE id = ?').run(thread, id);
  }

  /** A message went either way: the idle clock starts again. */
  touch(id: number): void {
    this.db.prepare('UPDATE handoffs SET last_at = ? WHERE id = ? AND closed_at IS NULL').run(this.now(), id);
  }

  /** A staff member answered: whether the first answer came within an hour is what the report counts. */
  replied(id: number): void {
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
   * as counted records do.
   */
  close(id: number): void {
    const at = recordTime(this.now());
    this.db
      .prepare(
        `UPDATE handoffs SET user_key = NULL, address = NULL, closed_at = ?, last_at = ?,
           opened_at = opened_at - opened_at % ${HOUR}
         WHERE id = ? AND closed_at IS NULL`,
      )
      .run(at, at, id);
  }

  /** A forgotten user's open conversations are closed: nothing points to them any more. */
  closeAllOf(userKey: string): HandoffRow[] {
    const rows = this.db
      .prepare('SELECT * FROM handoffs WHERE user_key = ?')
      .all(userKey)
      .map((r) => HandoffRowSchema.parse(r));
    for (const r of rows) this.close(r.id);
    return rows.filter((r) => r.closed_at === null);
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
