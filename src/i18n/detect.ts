import { francAll } from 'franc-all';
import { LANGS, type Lang } from '../text/lang.js';
import { fold } from '../text/normalize.js';

const FRANC: Record<string, Lang> = { spa: 'es', eng: 'en', hat: 'ht' };
const FRANC_MIN_LENGTH = 25;

/**
 * Language detection for first contact. Short chat messages defeat trigram detectors, so
 * the main signal is the bot's own vocabulary: the words of the FAQ and of the commands in
 * each language. franc decides only for longer messages the vocabulary cannot place.
 */
export function languageDetector(samples: Record<Lang, string[]>): (text: string) => Lang | null {
  const counts = new Map<string, Record<Lang, number>>();
  for (const lang of LANGS) {
    for (const sample of samples[lang]) {
      for (const word of new Set(fold(sample).split(' '))) {
        if (word.length < 2 || /^\d+$/.test(word)) continue;
        const c = counts.get(word) ?? { es: 0, en: 0, ht: 0 };
        c[lang] += 1;
        counts.set(word, c);
      }
    }
  }
  return (text) => {
    const score: Record<Lang, number> = { es: 0, en: 0, ht: 0 };
    for (const word of fold(text).split(' ')) {
      const c = counts.get(word);
      if (!c) continue;
      const total = c.es + c.en + c.ht;
      for (const lang of LANGS) score[lang] += c[lang] / total;
    }
    const [first, second] = LANGS.map((l) => [l, score[l]] as const).sort((a, b) => b[1] - a[1]);
    if (first && second && first[1] >= 0.9 && first[1] >= second[1] * 1.5 + 0.3) return first[0];
    if (text.length >= FRANC_MIN_LENGTH) {
      const [best, next] = francAll(text, { only: Object.keys(FRANC), minLength: FRANC_MIN_LENGTH });
      if (best && next && best[0] in FRANC && best[1] - next[1] > 0.1) return FRANC[best[0]] ?? null;
    }
    return null;
  };
}
