import type { Danger } from '../engine/context.js';
import { defaultLexicon, type Lexicon } from '../faq/normalize.js';
import { LANGS, type Lang } from '../text/lang.js';
import type { SafetyFile } from './schema.js';
import { safetyWords } from './words.js';

/**
 * Extra words a phrase may have between its own words in a message: one for a two-word
 * phrase ("me *siguen* pegando"), two in all for a longer one. A wider window lets unrelated
 * words form a phrase by chance ("me pueden pegar" is not "me pegan" when it is about a virus).
 */
export const EXTRA_WORDS_SHORT = 1;
export const EXTRA_WORDS_LONG = 2;

type Phrase = { category: string; words: string[]; extra: number };

/** A phrase as staff wrote it and the words matching uses; `category` is null for a saying that is not danger. */
export type ReadPhrase = {
  lang: Lang;
  category: string | null;
  text: string;
  words: string[];
  whole: boolean;
};

/** Reads every phrase of the file through the normaliser. */
export function readPhrases(file: SafetyFile, lexicon: Lexicon = defaultLexicon()): ReadPhrase[] {
  const out: ReadPhrase[] = [];
  for (const lang of LANGS) {
    for (const text of file.not_danger[lang]) {
      out.push({ lang, category: null, text, words: safetyWords(text, lang, lexicon), whole: false });
    }
  }
  for (const [category, c] of Object.entries(file.categories)) {
    for (const lang of LANGS) {
      for (const text of c[lang]) {
        out.push({
          lang,
          category,
          text,
          words: collapse(safetyWords(text, lang, lexicon)),
          whole: c.whole_message,
        });
      }
    }
  }
  return out;
}

/**
 * Danger triage over every language's phrases. A phrase matches when its words appear in order
 * with at most a few extra words between them; a cry matches only as the whole message.
 */
export class Triage {
  private readonly byFirst = new Map<Lang, Map<string, Phrase[]>>();
  private readonly cries = new Map<Lang, Map<string, string>>();
  private readonly sayings = new Map<Lang, string[][]>();

  constructor(
    phrases: readonly ReadPhrase[],
    private readonly lexicon: Lexicon = defaultLexicon(),
  ) {
    for (const lang of LANGS) {
      this.byFirst.set(lang, new Map());
      this.cries.set(lang, new Map());
      this.sayings.set(lang, []);
    }
    for (const p of phrases) {
      if (p.category === null) {
        if (p.words.length >= 2) this.sayings.get(p.lang)!.push(p.words);
        continue;
      }
      if (p.whole) {
        if (p.words.length) this.cries.get(p.lang)!.set(p.words.join(' '), p.category);
        continue;
      }
      const [first] = p.words;
      if (!first || p.words.length < 2) continue;
      const extra = p.words.length === 2 ? EXTRA_WORDS_SHORT : EXTRA_WORDS_LONG;
      const map = this.byFirst.get(p.lang)!;
      const list = map.get(first) ?? [];
      list.push({ category: p.category, words: p.words, extra });
      map.set(first, list);
    }
  }

  /** The danger a message speaks of, looking first in `prefer`, then in the other languages. */
  match(text: string, prefer: Lang | null): Danger | null {
    const order = prefer ? [prefer, ...LANGS.filter((l) => l !== prefer)] : LANGS;
    for (const lang of order) {
      const category = this.matchIn(lang, text);
      if (category) return { lang, category };
    }
    return null;
  }

  /** The category of the first phrase of one language found in the text, or null. */
  matchIn(lang: Lang, text: string): string | null {
    const words = this.withoutSayings(lang, safetyWords(text, lang, this.lexicon));
    if (!words.length) return null;
    const cry = this.cries.get(lang)!.get(collapse(words).join(' '));
    if (cry) return cry;
    const byFirst = this.byFirst.get(lang)!;
    for (let i = 0; i < words.length; i++) {
      for (const phrase of byFirst.get(words[i]!) ?? []) {
        if (follows(words, i, phrase)) return phrase.category;
      }
    }
    return null;
  }

  /** The words left once everyday sayings that are not danger are set aside. */
  private withoutSayings(lang: Lang, words: string[]): string[] {
    const sayings = this.sayings.get(lang)!;
    if (!sayings.length) return words;
    const aside = new Array<boolean>(words.length).fill(false);
    for (const saying of sayings) {
      for (let i = 0; i + saying.length <= words.length; i++) {
        if (saying.every((w, k) => words[i + k] === w)) aside.fill(true, i, i + saying.length);
      }
    }
    return aside.includes(true) ? words.filter((_, i) => !aside[i]) : words;
  }
}

/** True when the phrase's other words come after position `start` within its budget of extra words. */
function follows(words: readonly string[], start: number, phrase: Phrase): boolean {
  let at = start;
  let spare = phrase.extra;
  for (let k = 1; k < phrase.words.length; k++) {
    const want = phrase.words[k];
    let next = at + 1;
    while (next < words.length && words[next] !== want && next - at - 1 < spare) next++;
    if (next >= words.length || words[next] !== want) return false;
    spare -= next - at - 1;
    at = next;
  }
  return true;
}

/** "auxilio auxilio" is the same cry as "auxilio". */
function collapse(words: string[]): string[] {
  return words.filter((w, i) => w !== words[i - 1]);
}
