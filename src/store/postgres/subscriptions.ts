import type pg from 'pg';
import type { ConsentHow } from '../../engine/types.js';
import type { AudienceRow, Consent, NewSubscription, SubscriptionStore } from '../../subscriptions/store.js';
import type { Lang } from '../../text/lang.js';
import { recordTime } from '../times.js';

/** Subscriptions on PostgreSQL, outside turns; the turn's writes are in store.ts. */
export class PostgresSubscriptions implements SubscriptionStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number,
  ) {}

  async topicsOf(userKey: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ topic: string }>(
      'SELECT topic FROM subscriptions WHERE user_key = $1 ORDER BY topic',
      [userKey],
    );
    return rows.map((r) => r.topic);
  }

  async consentsOf(userKey: string): Promise<Consent[]> {
    const { rows } = await this.pool.query<{
      topic: string;
      lang: Lang;
      channel: string;
      consent_at: number;
      consent_how: ConsentHow;
    }>(
      'SELECT topic, lang, channel, consent_at, consent_how FROM subscriptions WHERE user_key = $1 ORDER BY topic',
      [userKey],
    );
    return rows.map((r) => ({
      topic: r.topic,
      lang: r.lang,
      channel: r.channel,
      at: r.consent_at,
      how: r.consent_how,
    }));
  }

  async add(userKey: string, sub: NewSubscription): Promise<void> {
    await this.pool.query(
      `INSERT INTO subscriptions (user_key, topic, lang, channel, address, consent_at, consent_how)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_key, topic) DO NOTHING`,
      [userKey, sub.topic, sub.lang, sub.channel, sub.address, recordTime(this.now()), sub.how],
    );
  }

  async audience(topic?: string): Promise<AudienceRow[]> {
    const { rows } = await this.pool.query<AudienceRow>(
      `SELECT topic, channel, lang, count(*) AS count FROM subscriptions
       WHERE $1::text IS NULL OR topic = $1
       GROUP BY topic, channel, lang ORDER BY topic, channel, lang`,
      [topic ?? null],
    );
    return rows;
  }
}
