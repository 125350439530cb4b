import type { Flow } from '../flows/schema.js';
import type { HoursRule } from '../handoff/hours.js';
import type { Topic } from '../subscriptions/topics.js';
import type { Lang } from '../text/lang.js';

/** Looks up a user-visible string through i18next: `ns` is "common" or "flow.<id>". */
export type Translate = (lang: Lang, ns: string, key: string, vars?: Record<string, string>) => string;

export type FaqHit = { id: string; score: number; title: string };
export type FaqSearch = { query: string; lang: Lang; answered: boolean; results: FaqHit[] };

/** An FAQ entry as shown to one user; `lang` differs from the asked one when it had to fall back. */
export type FaqView = {
  id: string;
  lang: Lang;
  title: string;
  answer: string;
  related: string[];
  safety: boolean;
  /** The answer recorded in the asked language (never another's), relative to data/; null when none. */
  audio: string | null;
};

/** The FAQ store as the engine sees it: read-only look-ups, so the engine stays pure. */
export interface FaqSource {
  search(query: string, lang: Lang): FaqSearch;
  view(id: string, lang: Lang): FaqView | null;
}

export const COMMANDS = [
  'menu',
  'back',
  'language',
  'help',
  'stop',
  'exit',
  'subscribe',
  'subscriptions',
  'person',
  'audioOn',
  'audioOff',
] as const;
export type Command = (typeof COMMANDS)[number];

/** A danger phrase found in a message: its language and its category in data/safety.yaml. */
export type Danger = { lang: Lang; category: string };

export const SMALL_TALK = ['greeting', 'thanks', 'ok', 'yes', 'no', 'laugh', 'bye', 'emoji'] as const;
export type SmallTalkKind = (typeof SMALL_TALK)[number];
/** A message that is small talk, not a question; `lang` is null when the words are shared by languages. */
export type SmallTalk = { kind: SmallTalkKind; lang: Lang | null };

export type EngineContext = {
  flows: ReadonlyMap<string, Flow>;
  t: Translate;
  faq: FaqSource;
  /** The global command a whole message stands for, in any language. */
  command: (text: string) => Command | null;
  /** A language when the text says so clearly, else null. */
  detectLang: (text: string) => Lang | null;
  /** The contacts block for a country code, in a language; null when none is known. */
  contacts: (country: string, lang: Lang) => string | null;
  /** Danger triage: the phrase a message contains, searched in every language, `prefer` first. */
  triage: (text: string, prefer: Lang | null) => Danger | null;
  /** What kind of small talk a whole message is, or null. */
  smallTalk: (text: string) => SmallTalk | null;
  /**
   * The emergency line: the numbers of the user's country (a code or a typed name), or every
   * country's numbers in one line when the country is unknown.
   */
  emergencyLine: (country: string | null, lang: Lang) => string;
  /** Topics people can subscribe to, in the order staff listed them. */
  topics: readonly Topic[];
  /** The topic an FAQ answer offers news on, or null. */
  topicOfFaq: (faqId: string) => string | null;
  defaultLang: Lang;
  /** Talking to a person: null when no staff inbox is configured (then the help.human entry is shown). */
  handoff: HandoffSettings | null;
};

export type HandoffSettings = {
  /** ORG_NAME, shown as written. */
  org: string;
  /** HANDOFF_HOURS parsed; null when staff did not say (then no hours are promised). */
  hours: HoursRule[] | null;
  /** HANDOFF_TZ, an IANA zone such as America/Guatemala. */
  tz: string;
  /** HANDOFF_IDLE_H. */
  idleHours: number;
};

/** What a channel knows about the user's language before they write: an app setting, or a chosen flag. */
export type LangHint = { lang: Lang; sure: boolean };
