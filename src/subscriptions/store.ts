import type { ConsentHow } from '../engine/types.js';
import type { Db } from '../store/db.js';
import { recordTime } from '../store/times.js';
import type { Lang } from '../text/lang.js';

/** A subscription and the consent that made it: the hour it was given, and how. */
export type Consent = {
  topic: string;
  lang: Lang;
  channel: string;
  /** The hour the user said yes (ms, rounded down to the hour). */
  at: number;
  how: ConsentHow;
};

export type NewSubscription = {
  topic: string;
  lang: Lang;
  channel: string;
  /** The sealed address (see store/address.ts), never the raw id. */
  address: string;
  how: ConsentHow;
};

export type AudienceRow = { topic: string; channel: string; lang: Lang; count: number };

/**
 * Subscriptions as the host sees them. Every call runs inside the caller's transaction: the
 * turn that heard "yes" records it, or nothing is recorded. A PostgreSQL store implements the same.
 */
export interface SubscriptionStore {
  topicsOf(userKey: string): string[];
  consentsOf(userKey: string): Consent[];
  add(userKey: string, sub: NewSubscription): void;
  remove(userKey: string, topic: string): void;
  /** A user who changed language gets news in the new one. */
  setLang(userKey: string, lang: Lang): void;
  /** Subscribers per topic, channel and language. */
  audience(topic?: string): AudienceRow[];
}

export class SqliteSubscriptions implements SubscriptionStore {
  private readonly topicsStmt;
  private readonly consentsStmt;
  private readonly addStmt;
  private readonly removeStmt;
  private readonly langStmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.topicsStmt = db.prepare<[string], { topic: string }>(
      'SELECT topic FROM subscriptions WHERE user_key = ? ORDER BY topic',
    );
    this.consentsStmt = db.prepare<
      [string],
      { topic: string; lang: Lang; channel: string; consent_at: number; consent_how: ConsentHow }
    >(
      'SELECT topic, lang, channel, consent_at, consent_how FROM subscriptions WHERE user_key = ? ORDER BY topic',
    );
    // A yes given twice keeps the first consent: the record says when it was first given.
    this.addStmt = db.prepare(
      `INSERT INTO subscriptions (user_key, topic, lang, channel, address, consent_at, consent_how)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_key, topic) DO NOTHING`,
    );
    this.removeStmt = db.prepare('DELETE FROM subscriptions WHERE user_key = ? AND topic = ?');
    this.langStmt = db.prepare('UPDATE subscriptions SET lang = ? WHERE user_key = ? AND lang <> ?');
  }

  topicsOf(userKey: string): string[] {
    return this.topicsStmt.all(userKey).map((r) => r.topic);
  }

  consentsOf(userKey: string): Consent[] {
    return this.consentsStmt.all(userKey).map((r) => ({
      topic: r.topic,
      lang: r.lang,
      channel: r.channel,
      at: r.consent_at,
      how: r.consent_how,
    }));
  }

  add(userKey: string, sub: NewSubscription): void {
    this.addStmt.run(userKey, sub.topic, sub.lang, sub.channel, sub.address, recordTime(this.now()), sub.how);
  }

  remove(userKey: string, topic: string): void {
    this.removeStmt.run(userKey, topic);
  }

  setLang(userKey: string, lang: Lang): void {
    this.langStmt.run(lang, userKey, lang);
  }

  audience(topic?: string): AudienceRow[] {
    const where = topic === undefined ? '' : 'WHERE topic = ?';
    const stmt = this.db.prepare<unknown[], AudienceRow>(
      `SELECT topic, channel, lang, count(*) AS count FROM subscriptions ${where}
       GROUP BY topic, channel, lang ORDER BY topic, channel, lang`,
    );
    return topic === undefined ? stmt.all() : stmt.all(topic);
  }
}
