import type { FaqEntry } from '../src/faq/schema.js';
import { LANGS } from '../src/text/lang.js';

/** A small deterministic random generator, so every run measures the same data. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = 'ka ri to me la su pe no vi da ro mi se tu ba lo ne ki ma po fe gu ya re'.split(' ');

/**
 * Entries made from the real ones: the same shape, a third of the words swapped for words
 * from a large made-up vocabulary, and long answers, so the index grows as a real store would.
 */
export function syntheticEntries(real: FaqEntry[], count: number, seed = 7): FaqEntry[] {
  const rand = prng(seed);
  const vocabulary = Array.from({ length: 20_000 }, () => {
    const n = 2 + Math.floor(rand() * 3);
    return Array.from({ length: n }, () => SYLLABLES[Math.floor(rand() * SYLLABLES.length)]).join('');
  });
  const word = () => vocabulary[Math.floor(rand() * vocabulary.length)]!;
  const vary = (text: string) =>
    text
      .split(' ')
      .map((w) => (rand() < 0.33 ? word() : w))
      .join(' ');
  const out: FaqEntry[] = [];
  for (let i = 0; i < count; i++) {
    const base = real[i % real.length]!;
    const entry: FaqEntry = { id: `${base.id}-s${i}`, related: base.related, safety: base.safety };
    for (const lang of LANGS) {
      const t = base[lang];
      if (!t) continue;
      entry[lang] = {
        title: vary(t.title).slice(0, 30),
        question: vary(t.question),
        phrasings: t.phrasings.map(vary),
        keywords: [...t.keywords.map(vary), word(), word(), word()],
        answer: [t.answer, vary(t.answer), vary(t.answer)].join('\n\n'),
      };
    }
    out.push(entry);
  }
  return out;
}
