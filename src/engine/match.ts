import { fold, parseNumber } from '../text/normalize.js';
import type { OptionOut } from './types.js';

/** Number words people type instead of digits, in the three languages. */
const NUMBER_WORDS: Record<string, number> = {
  uno: 1,
  un: 1,
  one: 1,
  youn: 1,
  en: 1,
  dos: 2,
  two: 2,
  de: 2,
  tres: 3,
  three: 3,
  twa: 3,
  cuatro: 4,
  four: 4,
  kat: 4,
  cinco: 5,
  five: 5,
  senk: 5,
  seis: 6,
  six: 6,
  sis: 6,
  siete: 7,
  seven: 7,
  set: 7,
  ocho: 8,
  eight: 8,
  uit: 8,
  wit: 8,
  nueve: 9,
  nine: 9,
  nef: 9,
  diez: 10,
  ten: 10,
  dis: 10,
};

export type Match = { option: OptionOut } | { outOfRange: number } | null;

/**
 * Finds the option a message picks: its number ("2", "2️⃣", "dos"), its id, or its label
 * typed as text, ignoring case, accents, emoji and punctuation. A single word that is a
 * whole word of exactly one label also picks it.
 */
export function matchOption(text: string, options: readonly OptionOut[]): Match {
  const folded = fold(text);
  const n = parseNumber(text) ?? NUMBER_WORDS[folded] ?? null;
  if (n !== null) {
    const option = options[n - 1];
    return option ? { option } : { outOfRange: n };
  }
  if (!folded) return null;
  const exact = options.find((o) => o.id === text.trim().toLowerCase() || fold(o.label) === folded);
  if (exact) return { option: exact };
  if (!folded.includes(' ') && folded.length >= 4) {
    const byWord = options.filter((o) => fold(o.label).split(' ').includes(folded));
    if (byWord.length === 1) return { option: byWord[0]! };
  }
  return null;
}
