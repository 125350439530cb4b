import type { Flow } from '../flows/schema.js';
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
};

/** The FAQ store as the engine sees it: read-only look-ups, so the engine stays pure. */
export interface FaqSource {
  search(query: string, lang: Lang): FaqSearch;
  view(id: string, lang: Lang): FaqView | null;
}

export const COMMANDS = ['menu', 'back', 'language', 'help', 'stop'] as const;
export type Command = (typeof COMMANDS)[number];

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
  defaultLang: Lang;
};

/** What a channel knows about the user's language before they write: an app setting, or a chosen flag. */
export type LangHint = { lang: Lang; sure: boolean };
