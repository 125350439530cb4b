import { defaultLexicon, type Lexicon } from '../faq/normalize.js';
import type { Lang } from '../text/lang.js';

/**
 * The words of a text as danger triage reads them. This is the one place triage reaches the
 * search normaliser, so that phrases and messages are read exactly as search reads them:
 * accents folded, texting spellings and regional words of data/lexicon/ mapped, endings stemmed.
 * Stop words are kept: "me pegan" and "pegar un afiche" differ only by them. Concepts are not
 * used: they would widen a danger phrase to words it never meant.
 */
export function safetyWords(text: string, lang: Lang, lexicon: Lexicon = defaultLexicon()): string[] {
  return lexicon.tokens(text, lang);
}
