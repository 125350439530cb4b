import { tokens } from '../faq/normalize.js';
import type { Lang } from '../text/lang.js';

/**
 * The words of a text as danger triage reads them. This is the one place triage reaches the
 * search normaliser, so that phrases and messages are read exactly as search reads them:
 * accents folded, texting spellings and regional words mapped, endings stemmed. Stop words
 * are kept: "me pegan" and "pegar un afiche" differ only by them.
 */
export function safetyWords(text: string, lang: Lang): string[] {
  return tokens(text, lang);
}
