import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fuse from 'fuse.js';
import MiniSearch from 'minisearch';
import { parse } from 'yaml';
import { z } from 'zod';
import { LANGS, type Lang, LangSchema } from '../text/lang.js';
import type { FaqEntry } from './schema.js';
import { DECISION, type Decision, type FaqSearcher } from './search.js';

export const EvalQuerySchema = z.strictObject({
  lang: LangSchema,
  q: z.string().min(1),
  expect: z.string().nullable(),
  /** The message mixes two languages. */
  mixed: z.boolean().optional(),
});
export type EvalQuery = z.infer<typeof EvalQuerySchema>;

export function readEvalSet(path: string): EvalQuery[] {
  return z.array(EvalQuerySchema).parse(parse(readFileSync(path, 'utf8')));
}

/** The share of a set held out: never used to tune the lexicon or the decision to answer. */
export const HELD_OUT_SHARE = 0.3;

/** Whether a query is held out: fixed by a hash of its text, so adding queries never moves the others. */
export function isHeldOut(q: Pick<EvalQuery, 'q'>): boolean {
  const h = createHash('sha256').update(q.q).digest().readUInt32BE(0);
  return h / 2 ** 32 < HELD_OUT_SHARE;
}

export type Split = 'all' | 'tuning' | 'held-out';

export function split(queries: EvalQuery[], which: Split): EvalQuery[] {
  if (which === 'all') return queries;
  return queries.filter((q) => isHeldOut(q) === (which === 'held-out'));
}

export type LangScores = {
  queries: number;
  /** The right entry came first, answered or not. */
  rankedFirst: number;
  /** The right entry came first and the bot answered it: what the user gets. */
  top1: number;
  top3: number;
  /** Answered with another entry: the costly mistake. */
  wrong: number;
  outOfScope: number;
  refused: number;
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
export function evaluate(
  searcher: FaqSearcher,
  queries: EvalQuery[],
  decision: Decision = DECISION,
  modes: Array<'lang' | 'auto'> = ['lang', 'auto'],
): EvalReport {
  const misses: EvalReport['misses'] = [];
  const run = (mode: 'lang' | 'auto') => {
    const out = {} as Record<Lang, LangScores>;
    for (const lang of LANGS) {
      const mine = queries.filter((q) => q.lang === lang);
      let top1 = 0;
      let first = 0;
      let top3 = 0;
      let wrong = 0;
      let oos = 0;
      let refused = 0;
      for (const q of mine) {
        const r = searcher.search(q.q, mode === 'auto' ? 'auto' : lang, decision);
        const ids = r.results.map((x) => x.id);
        const got = r.answered ? (ids[0] ?? null) : null;
        if (q.expect === null) {
          oos++;
          if (!r.answered) refused++;
          else misses.push({ ...q, got, mode });
          continue;
        }
        if (ids[0] === q.expect) first++;
        if (got === q.expect) top1++;
        else {
          if (got !== null) wrong++;
          misses.push({ ...q, got: got ?? `(unanswered: ${ids.slice(0, 3).join(' ') || '-'})`, mode });
        }
        if (ids.slice(0, 3).includes(q.expect)) top3++;
      }
      const n = mine.length - oos;
      out[lang] = {
        queries: n,
        rankedFirst: ratio(first, n),
        top1: ratio(top1, n),
        top3: ratio(top3, n),
        wrong,
        outOfScope: oos,
        refused,
        rejection: ratio(refused, oos),
      };
    }
    return out;
  };
  const empty = {} as Record<Lang, LangScores>;
  return {
    byLang: modes.includes('lang') ? run('lang') : empty,
    auto: modes.includes('auto') ? run('auto') : empty,
    misses,
  };
}

function ratio(a: number, b: number): number {
  return b ? Math.round((a / b) * 1000) / 1000 : 1;
}

/** The libraries we compare with: how often each ranks the right entry first, per language. */
export type LibraryScores = Record<'minisearch' | 'fuse', Record<Lang, number>>;

/**
 * Plain MiniSearch (fuzzy 0.2, prefix, OR) and plain fuse.js on the same entries (title, question,
 * phrasings, keywords of the query's language) and the same in-scope queries.
 */
export function libraryScores(entries: FaqEntry[], queries: EvalQuery[]): LibraryScores {
  const out: LibraryScores = { minisearch: { es: 0, en: 0, ht: 0 }, fuse: { es: 0, en: 0, ht: 0 } };
  for (const lang of LANGS) {
    const docs = entries.flatMap((e) => {
      const t = e[lang];
      return t
        ? [{ id: e.id, title: t.title, question: t.question, phrasings: t.phrasings, keywords: t.keywords }]
        : [];
    });
    const mini = new MiniSearch({
      fields: ['title', 'question', 'phrasings', 'keywords'],
      extractField: (doc, field) => {
        const v = (doc as Record<string, unknown>)[field];
        return Array.isArray(v) ? v.join(' ') : String(v ?? '');
      },
      searchOptions: { fuzzy: 0.2, prefix: true, combineWith: 'OR' },
    });
    mini.addAll(docs);
    const fuse = new Fuse(docs, { keys: ['title', 'question', 'phrasings', 'keywords'] });
    const mine = queries.filter((q) => q.lang === lang && q.expect !== null);
    let m = 0;
    let f = 0;
    for (const q of mine) {
      if (mini.search(q.q)[0]?.id === q.expect) m++;
      if (fuse.search(q.q)[0]?.item.id === q.expect) f++;
    }
    out.minisearch[lang] = ratio(m, mine.length);
    out.fuse[lang] = ratio(f, mine.length);
  }
  return out;
}

/**
 * The decision to answer, fitted on the tuning split only: the thresholds that make the fewest
 * costly mistakes. A wrong answer costs two unsure replies; an answer to an out-of-scope question, three.
 */
export function calibrate(searcher: FaqSearcher, tuning: EvalQuery[]): { decision: Decision; cost: number } {
  const cost = (d: Decision) => {
    const r = evaluate(searcher, tuning, d, ['lang']);
    let c = 0;
    for (const l of LANGS) {
      const s = r.byLang[l];
      c += s.queries * (1 - s.top1) + s.wrong + 3 * (s.outOfScope - s.refused);
    }
    return c;
  };
  let best = { decision: { ...DECISION }, cost: cost(DECISION) };
  const grid = {
    score: [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4],
    // Never below 0.4: a message that is mostly a name, a number or words the store does not know
    // ("me llamo ... y mi telefono es ...") must not be answered, whatever the tuning set prefers.
    coverage: [0.4, 0.45, 0.5],
    shortCoverage: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
    sure: [0.5, 0.6, 0.7, 0.8, 0.9, 1.01],
    margin: [0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15],
    sureMargin: [0, 0.005, 0.01, 0.02, 0.03, 0.05],
    storyTerms: [6, 7, 8, 10, 99],
    // Never below 0.25: a story the store explains a quarter of is not understood.
    storyCoverage: [0.25, 0.3, 0.35, 0.4],
    storyLead: [0.1, 0.15, 0.2, 0.25, 0.3],
  };
  // Coordinate descent: one threshold at a time, twice over.
  for (let round = 0; round < 2; round++) {
    for (const key of Object.keys(grid) as Array<keyof typeof grid>) {
      for (const v of grid[key]) {
        const d = { ...best.decision, [key]: v };
        const c = cost(d);
        if (c < best.cost) best = { decision: d, cost: c };
      }
    }
  }
  return best;
}
