import type { ConsentHow } from '../../engine/types.js';
import type { AudienceRow, Consent, NewSubscription, SubscriptionStore } from '../../subscriptions/store.js';
import type { Lang } from '../../text/lang.js';
import { DAY, recordTime } from '../times.js';
import type { Db } from './db.js';

/** Subscriptions on SQLite: the turn's writes, and the reads of tools outside turns. */
export class SqliteSubscriptions implements SubscriptionStore {
  private readonly topicsStmt;
  private readonly consentsStmt;
  private readonly addStmt;
  private readonly removeStmt;
  private readonly langStmt;
  private readonly replyStmt;

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
    this.replyStmt = db.prepare(
      `UPDATE broadcast_deliveries SET replied = 1
       WHERE user_key = ? AND state = 'sent' AND replied = 0 AND sent_at > ?`,
    );
  }

  /** Synchronous, for the turn's load. */
  topicsSync(userKey: string): string[] {
    return this.topicsStmt.all(userKey).map((r) => r.topic);
  }

  async topicsOf(userKey: string): Promise<string[]> {
    return this.topicsSync(userKey);
  }

  async consentsOf(userKey: string): Promise<Consent[]> {
    return this.consentsStmt.all(userKey).map((r) => ({
      topic: r.topic,
      lang: r.lang,
      channel: r.channel,
      at: r.consent_at,
      how: r.consent_how,
    }));
  }

  async add(userKey: string, sub: NewSubscription): Promise<void> {
    this.addSync(userKey, sub);
  }

  addSync(userKey: string, sub: NewSubscription): void {
    this.addStmt.run(userKey, sub.topic, sub.lang, sub.channel, sub.address, recordTime(this.now()), sub.how);
  }

  remove(userKey: string, topic: string): void {
    this.removeStmt.run(userKey, topic);
  }

  /** A user who changed language gets news in the new one. */
  setLang(userKey: string, lang: Lang): void {
    this.langStmt.run(lang, userKey, lang);
  }

  /** A user wrote: a broadcast message they got in the last 24 hours counts a reply. */
  noteReply(userKey: string): void {
    this.replyStmt.run(userKey, this.now() - DAY);
  }

  async audience(topic?: string): Promise<AudienceRow[]> {
    const where = topic === undefined ? '' : 'WHERE topic = ?';
    const stmt = this.db.prepare<unknown[], AudienceRow>(
      `SELECT topic, channel, lang, count(*) AS count FROM subscriptions ${where}
       GROUP BY topic, channel, lang ORDER BY topic, channel, lang`,
    );
    return topic === undefined ? stmt.all() : stmt.all(topic);
  }
}
