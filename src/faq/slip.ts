/** One slip of the thumb: a letter dropped, added or changed, or two neighbours swapped. */

/** The word with one letter left out, at each position. */
export function deletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/** Whether b is a with two neighbouring letters swapped. */
export function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  return (
    diff.length === 2 &&
    diff[1] === diff[0]! + 1 &&
    a[diff[0]!] === b[diff[1]!] &&
    a[diff[1]!] === b[diff[0]!]
  );
}

/** Edit distance where two swapped neighbours count as one edit (optimal string alignment). */
export function osaDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The shortest word a slip is looked for in, and the shortest where more than a swap counts. */
export const SLIP = { minWord: 4, anyEdit: 5 } as const;

/**
 * Whether `typed` is `word` with one slip. People rarely mistype the first letter ("dodge" is not
 * "lodge"). In a word of four letters a letter dropped or changed most often makes another word
 * ("pale", "pase"); two letters swapped ("pmei") or one added ("peyue") rarely do.
 */
export function isSlip(word: string, typed: string): boolean {
  if (word === typed || word.length < SLIP.minWord || typed.length < SLIP.minWord) return false;
  const sameStart = word[0] === typed[0] || (word[0] === typed[1] && word[1] === typed[0]);
  if (!sameStart || osaDistance(word, typed) !== 1) return false;
  return word.length >= SLIP.anyEdit || isSwap(word, typed) || typed.length === word.length + 1;
}

/**
 * Whether `typed` is `word` with a letter dropped or added, or two neighbours swapped, in a word of
 * five letters or more: the slips that rarely make another word. A letter typed for another is not
 * counted ("remet" is not "reset").
 */
export function isDropOrSwap(word: string, typed: string): boolean {
  if (word.length < SLIP.anyEdit || typed.length < SLIP.anyEdit - 1) return false;
  if (word.length === typed.length) return isSwap(word, typed);
  return Math.abs(word.length - typed.length) === 1 && isSlip(word, typed);
}
