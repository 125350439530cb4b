import type { Effect } from '../engine/types.js';
import type { Lang } from '../text/lang.js';
import type { Db } from './db.js';

export type RecordContext = { channel: string; lang: Lang | null; campaign: string | null };

/**
 * Writes what staff count: metrics, feedback and unanswered questions. None of these rows
 * carries a user key, so they survive "stop" without pointing back at anyone.
 */
export class Records {
  private readonly event;
  private readonly feedback;
  private readonly unanswered;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.event = db.prepare(
      'INSERT INTO events (at, name, channel, lang, campaign, flow, faq) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.feedback = db.prepare('INSERT INTO feedback (at, faq, lang, helpful) VALUES (?, ?, ?, ?)');
    this.unanswered = db.prepare('INSERT INTO unanswered (at, lang, query) VALUES (?, ?, ?)');
  }

  apply(effects: readonly Effect[], ctx: RecordContext): void {
    const at = this.now();
    for (const e of effects) {
      if (e.type === 'metric')
        this.event.run(at, e.name, ctx.channel, ctx.lang, ctx.campaign, e.flow ?? null, e.faq ?? null);
      else if (e.type === 'feedback') this.feedback.run(at, e.faq, ctx.lang, e.helpful ? 1 : 0);
      else if (e.type === 'unanswered' && e.query) this.unanswered.run(at, e.lang, e.query);
    }
  }
}
