import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { LANGS, type Lang, LangSchema } from '../text/lang.js';
import type { FaqSearcher } from './search.js';

export const EvalQuerySchema = z.strictObject({
  lang: LangSchema,
  q: z.string().min(1),
  expect: z.string().nullable(),
});
export type EvalQuery = z.infer<typeof EvalQuerySchema>;

export function readEvalSet(path: string): EvalQuery[] {
  return z.array(EvalQuerySchema).parse(parse(readFileSync(path, 'utf8')));
}

export type LangScores = {
  queries: number;
  top1: number;
  top3: number;
  outOfScope: number;
  rejection: number;
};
export type EvalReport = {
  byLang: Record<Lang, LangScores>;
  auto: Record<Lang, LangScores>;
  misses: Array<EvalQuery & { got: string | null; mode: string }>;
};

/**
 * Top-1 counts only answered hits: a right topic the bot would not dare to answer
 * is a miss for the user. Out-of-scope queries must come back unanswered.
 */
export function evaluate(searcher: FaqSearcher, queries: EvalQuery[]): EvalReport {
  const misses: EvalReport['misses'] = [];
  const run = (mode: 'lang' | 'auto') => {
    const out = {} as Record<Lang, LangScores>;
    for (const lang of LANGS) {
      const mine = queries.filter((q) => q.lang === lang);
      let top1 = 0;
      let top3 = 0;
      let oos = 0;
      let rejected = 0;
      for (const q of mine) {
        const r = searcher.search(q.q, mode === 'auto' ? 'auto' : lang);
        const ids = r.results.map((x) => x.id);
        const got = r.answered ? (ids[0] ?? null) : null;
        if (q.expect === null) {
          oos++;
          if (!r.answered) rejected++;
          else misses.push({ ...q, got, mode });
          continue;
        }
        if (got === q.expect) top1++;
        else misses.push({ ...q, got: got ?? `(unanswered: ${ids[0] ?? '-'})`, mode });
        if (ids.slice(0, 3).includes(q.expect)) top3++;
      }
      const n = mine.length - oos;
      out[lang] = {
        queries: n,
        top1: ratio(top1, n),
        top3: ratio(top3, n),
        outOfScope: oos,
        rejection: ratio(rejected, oos),
      };
    }
    return out;
  };
  return { byLang: run('lang'), auto: run('auto'), misses };
}

function ratio(a: number, b: number): number {
  return b ? Math.round((a / b) * 1000) / 1000 : 1;
}
