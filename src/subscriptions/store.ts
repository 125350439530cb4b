import type { ConsentHow } from '../engine/types.js';
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
 * Subscriptions outside a turn: what staff tools, the report and tests read. Consent is given and
 * withdrawn inside the user's turn, as writes of the store contract (subscribe, unsubscribe), so
 * the turn that heard "yes" records it or nothing is recorded. Implemented by every engine.
 */
export interface SubscriptionStore {
  /** The user's topics, sorted. */
  topicsOf(userKey: string): Promise<string[]>;
  consentsOf(userKey: string): Promise<Consent[]>;
  /**
   * Records a subscription outside a conversation: moving subscribers from another system who
   * said yes there, and tests. A yes given twice keeps the first consent.
   */
  add(userKey: string, sub: NewSubscription): Promise<void>;
  /** Subscribers per topic, channel and language. */
  audience(topic?: string): Promise<AudienceRow[]>;
}
