import type { Effect } from '../../engine/types.js';
import { type RecordContext, type RecordWrite, recordWrites } from '../records.js';
import { DAY, recordTime } from '../times.js';
import type { Db } from './db.js';

export type RecordsPurged = { events: number; feedback: number; unanswered: number };

/**
 * Writes what staff count: metrics, feedback and unanswered questions. None of these rows
 * carries a user key, and their time is only the hour, so they survive "stop" without pointing
 * back at anyone.
 */
export class Records {
  private readonly event;
  private readonly feedback;
  private readonly unanswered;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.event = db.prepare(
      'INSERT INTO events (at, name, channel, lang, campaign, flow, faq) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.feedback = db.prepare('INSERT INTO feedback (at, faq, lang, helpful) VALUES (?, ?, ?, ?)');
    this.unanswered = db.prepare('INSERT INTO unanswered (at, lang, query) VALUES (?, ?, ?)');
  }

  apply(effects: readonly Effect[], ctx: RecordContext): void {
    for (const w of recordWrites(effects, ctx)) this.add(w);
  }

  add(w: RecordWrite): void {
    const at = recordTime(this.now());
    if (w.type === 'event') this.event.run(at, w.name, w.channel, w.lang, w.campaign, w.flow, w.faq);
    else if (w.type === 'feedback') this.feedback.run(at, w.faq, w.lang, w.helpful ? 1 : 0);
    else this.unanswered.run(at, w.lang, w.query);
  }

  /**
   * Deletes records older than `cutoff`. Events and feedback are first added to the daily counts,
   * so the report's figures stay; unanswered questions (text) are not kept in any form.
   * Runs inside the caller's transaction.
   */
  purgeBefore(cutoff: number): RecordsPurged {
    this.db
      .prepare(
        `INSERT INTO daily_counts (day, name, channel, lang, campaign, flow, faq, count)
         SELECT at - at % ${DAY}, name, channel, coalesce(lang, ''), coalesce(campaign, ''),
                coalesce(flow, ''), coalesce(faq, ''), count(*)
         FROM events WHERE at < ? GROUP BY 1, 2, 3, 4, 5, 6, 7
         ON CONFLICT DO UPDATE SET count = count + excluded.count`,
      )
      .run(cutoff);
    this.db
      .prepare(
        `INSERT INTO daily_counts (day, name, lang, faq, count)
         SELECT at - at % ${DAY}, CASE helpful WHEN 1 THEN 'helpful' ELSE 'not_helpful' END,
                coalesce(lang, ''), faq, count(*)
         FROM feedback WHERE at < ? GROUP BY 1, 2, 3, 4
         ON CONFLICT DO UPDATE SET count = count + excluded.count`,
      )
      .run(cutoff);
    const purge = (table: string) => this.db.prepare(`DELETE FROM ${table} WHERE at < ?`).run(cutoff).changes;
    return { events: purge('events'), feedback: purge('feedback'), unanswered: purge('unanswered') };
  }
}
