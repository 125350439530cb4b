import { FAQ_TEXT_FIELDS, type FaqTextField, MAX_ANSWER_WORDS, MAX_FAQ_TITLE } from '../faq/schema.js';
import { BUTTON_KEYS } from '../i18n/keys.js';
import { leafKeys } from '../i18n/locales.js';
import type { ContentFiles } from '../runtime/content.js';
import { LANGS, type Lang } from '../text/lang.js';
import type { Review } from './review-schema.js';
import type { Located } from './yaml.js';

/** Telegram shows about this much of a button on a small phone; longer labels are cut. */
export const MAX_BUTTON_LABEL = 40;
/** The longest message Telegram sends in one piece. */
export const MAX_MESSAGE = 4096;
/** Telegram's limit for a command's description. */
export const MAX_COMMAND_DESCRIPTION = 256;

/** How long a text may be, and why. */
export type TextLimit = { chars: number; words?: number; why: string };

/** One text people read, with its Spanish source and its translations. */
export type TextUnit = {
  field: string;
  es: string;
  values: Partial<Record<Lang, string>>;
  limit: TextLimit;
};

/**
 * A unit of review: an FAQ entry's language block, a flow, or a locale file. A review covers all
 * of its texts in one language, and goes stale when any of its Spanish texts changes.
 */
export type ContentDoc = {
  kind: 'faq' | 'flow' | 'locale';
  /** "labor.unpaid-wages", "flow:labor" or "locale:common": the id translators see. */
  id: string;
  file: (lang: Lang) => string;
  texts: TextUnit[];
  /** Whether the language has its own version (an FAQ block, a locale file). */
  has: (lang: Lang) => boolean;
  reviewed: Partial<Record<Lang, Review>>;
  /** FAQ entries: the day after which the answer must be checked again. */
  reviewBy?: string;
  /** Where the review of a language is, or would go. */
  at: (lang: Lang, what?: 'review_by') => Located;
};

export const FLOW_PREFIX = 'flow:';
export const LOCALE_PREFIX = 'locale:';

const FAQ_LIMITS: Record<FaqTextField, TextLimit> = {
  title: { chars: MAX_FAQ_TITLE, why: 'a title is a button label' },
  question: { chars: MAX_MESSAGE, why: 'Telegram sends at most 4096 characters at once' },
  answer: { chars: MAX_MESSAGE, words: MAX_ANSWER_WORDS, why: 'an answer is read on a phone' },
};
const BUTTON: TextLimit = { chars: MAX_BUTTON_LABEL, why: 'a Telegram button shows about 40 characters' };
const MESSAGE: TextLimit = { chars: MAX_MESSAGE, why: 'Telegram sends at most 4096 characters at once' };

/** Every text of the content that has a Spanish source, grouped as it is reviewed. */
export function contentDocs(files: ContentFiles): ContentDoc[] {
  const docs: ContentDoc[] = [];
  for (const [id, entry] of files.faq) {
    const es = entry.es;
    const source = files.faqSources.get(id);
    if (!es || !source) continue;
    docs.push({
      kind: 'faq',
      id,
      file: () => source.file,
      texts: FAQ_TEXT_FIELDS.map((field) => ({
        field,
        es: es[field],
        values: Object.fromEntries(LANGS.map((l) => [l, entry[l]?.[field]])),
        limit: FAQ_LIMITS[field],
      })),
      has: (lang) => Boolean(entry[lang]),
      reviewed: Object.fromEntries(
        LANGS.flatMap((l) => (entry[l]?.reviewed ? [[l, entry[l]!.reviewed!]] : [])),
      ),
      reviewBy: entry.review_by,
      at: (lang, what) =>
        what === 'review_by' ? source.locate(['review_by'], true) : source.locate([lang, 'reviewed'], true),
    });
  }
  for (const [id, flow] of files.flows) {
    const source = files.flowSources.get(id);
    if (!source) continue;
    const texts: TextUnit[] = [];
    for (const [stepId, step] of Object.entries(flow.steps)) {
      if ('text' in step && step.text) {
        texts.push({
          field: `steps.${stepId}.text`,
          es: step.text.es,
          values: { ...step.text },
          limit: MESSAGE,
        });
      }
      if (step.type === 'menu') {
        for (const o of step.options) {
          texts.push({
            field: `steps.${stepId}.options.${o.id}.label`,
            es: o.label.es,
            values: { ...o.label },
            limit: BUTTON,
          });
        }
      }
    }
    docs.push({
      kind: 'flow',
      id: `${FLOW_PREFIX}${id}`,
      file: () => source.file,
      texts,
      has: () => true,
      reviewed: { ...flow.reviewed },
      at: (lang) => source.locate(['reviewed', lang], true),
    });
  }
  for (const ns of Object.keys(files.locales.es).sort()) {
    const tree = files.locales.es[ns]!;
    const texts: TextUnit[] = [];
    for (const key of leafKeys(tree)) {
      const es = lookup(files.locales.es[ns], key);
      if (typeof es !== 'string') continue;
      const values: Partial<Record<Lang, string>> = {};
      for (const lang of ['es', 'en', 'ht'] as const) {
        const v = lookup(files.locales[lang][ns], key);
        if (typeof v === 'string') values[lang] = v;
      }
      const limit = (BUTTON_KEYS as readonly string[]).includes(key)
        ? BUTTON
        : key.startsWith('commandDescriptions.')
          ? { chars: MAX_COMMAND_DESCRIPTION, why: "Telegram's limit for a command description" }
          : MESSAGE;
      texts.push({ field: key, es, values, limit });
    }
    const file = (lang: Lang) => `locales/${lang}/${ns}.json`;
    docs.push({
      kind: 'locale',
      id: `${LOCALE_PREFIX}${ns}`,
      file,
      texts,
      has: (lang) => Boolean(files.locales[lang][ns]),
      reviewed: Object.fromEntries(
        LANGS.flatMap((l) => {
          const r = files.localeReviews[l][ns];
          return r ? [[l, r]] : [];
        }),
      ),
      at: () => ({ line: 1, column: 1 }),
    });
  }
  return docs;
}

function lookup(tree: unknown, key: string): unknown {
  let node = tree;
  for (const part of key.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** `{{name}}` variables in a text, which a translation must keep. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)].map((m) => m[1]!).sort();
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}
