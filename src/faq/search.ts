import Fuse from 'fuse.js';
import type { FaqHit, FaqSearch } from '../engine/context.js';
import { LANGS, type Lang } from '../text/lang.js';
import { fold, hasWords } from '../text/normalize.js';
import { contentTokens } from './normalize.js';
import type { FaqEntry } from './schema.js';

/** How much a match in each field counts: keywords and titles are chosen words, phrasings are many. */
const FIELD_WEIGHT = { title: 2, keywords: 2, question: 1, phrasings: 1, foreign: 0.5 } as const;
const MIN_SIMILARITY = 0.55;
const RESCORE = 10;
const TF_SATURATION = 1;
/** How the score is made: the share of the query matched, how central the matched words are to the topic, and fuse.js. */
export const MIX = { coverage: 0.4, weight: 0.4, fuse: 0.2 };
const MAX_RESULTS = 5;
const MAX_QUERY = 300;

/** A hit is answered when its score clears this, and leads the next topic by MARGIN. */
export const THRESHOLD = { coverage: 0.4, score: 0.38, sure: 0.6, margin: 0.02 };

/** A ranked hit, with the share of the query's meaning it covers. */
export type Hit = FaqHit & { coverage: number };

type Doc = { id: string; title: string; strings: string[]; tf: Map<number, number>; fuse?: Fuse<string> };

/** fuse.js rescoring: a bounded number of errors keeps Bitap fast; location does not matter in a chat message. */
const FUSE_OPTIONS = {
  includeScore: true,
  ignoreLocation: true,
  threshold: 0.45,
  shouldSort: false,
  minMatchCharLength: 3,
};
const FUSE_PATTERN = 32;
const FUSE_CANDIDATES = 5;

/**
 * Search over one language: an inverted index with typo-tolerant token matching picks the
 * candidates, then fuse.js rescores the best few against their question, phrasings and keywords.
 * The score is the share of the query's meaning (IDF-weighted) that the entry explains, so
 * words the store has never seen pull it down: that is what rejects out-of-scope questions.
 */
export class LangIndex {
  private readonly terms = new Map<string, number>();
  private readonly df: number[] = [];
  private readonly postings: number[][] = [];
  private readonly grams = new Map<string, number[]>();
  private readonly termText: string[] = [];
  readonly docs: Doc[] = [];
  readonly titles = new Map<string, string>();

  constructor(
    readonly lang: Lang,
    entries: Iterable<FaqEntry>,
  ) {
    for (const entry of entries) {
      const text = entry[lang];
      if (!text) continue;
      const tf = new Map<number, number>();
      const add = (s: string, w: number) => {
        for (const t of new Set(contentTokens(s, lang))) {
          const id = this.term(t);
          tf.set(id, (tf.get(id) ?? 0) + w);
        }
      };
      // People mix languages ("ingeniero a pa peye nou quincena a"): the other languages'
      // keywords count too, at a lower weight.
      for (const other of LANGS) {
        const o = entry[other];
        if (other === lang || !o) continue;
        for (const k of o.keywords) {
          for (const t of new Set(contentTokens(k, other))) {
            const id = this.term(t);
            tf.set(id, (tf.get(id) ?? 0) + FIELD_WEIGHT.foreign);
          }
        }
      }
      add(text.title, FIELD_WEIGHT.title);
      add(text.question, FIELD_WEIGHT.question);
      for (const k of text.keywords) add(k, FIELD_WEIGHT.keywords);
      for (const p of text.phrasings) add(p, FIELD_WEIGHT.phrasings);
      const doc = this.docs.length;
      this.titles.set(entry.id, text.title);
      this.docs.push({
        id: entry.id,
        title: text.title,
        strings: [text.title, text.question, ...text.phrasings, text.keywords.join(' ')].map(fold),
        tf,
      });
      for (const termId of tf.keys()) {
        this.postings[termId]!.push(doc);
        this.df[termId]! += 1;
      }
    }
  }

  private term(t: string): number {
    let id = this.terms.get(t);
    if (id === undefined) {
      id = this.termText.length;
      this.terms.set(t, id);
      this.termText.push(t);
      this.df.push(0);
      this.postings.push([]);
      for (const g of trigrams(t)) {
        const list = this.grams.get(g);
        if (list) list.push(id);
        else this.grams.set(g, [id]);
      }
    }
    return id;
  }

  private idf(df: number): number {
    const n = this.docs.length;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** Known terms close to a query token: itself, or spellings within a typo or two. */
  private expand(token: string): Array<[number, number]> {
    const exact = this.terms.get(token);
    if (exact !== undefined) return [[exact, 1]];
    if (token.length < 4) return [];
    const qg = trigrams(token);
    const shared = new Map<number, number>();
    for (const g of qg) for (const id of this.grams.get(g) ?? []) shared.set(id, (shared.get(id) ?? 0) + 1);
    const out: Array<[number, number]> = [];
    for (const [id, n] of shared) {
      const other = this.termText[id]!;
      const dice = (2 * n) / (qg.length + trigrams(other).length);
      const prefix = other.length >= 4 && (token.startsWith(other) || other.startsWith(token)) ? 0.8 : 0;
      const sim = Math.max(dice, prefix);
      if (sim >= MIN_SIMILARITY) out.push([id, sim]);
    }
    return out.sort((a, b) => b[1] - a[1]).slice(0, 4);
  }

  search(query: string): Hit[] {
    // Digits carry no topic ("3 weeks", "300 dollars") and would count as unknown words.
    const qTokens = [...new Set(contentTokens(query.slice(0, MAX_QUERY), this.lang))]
      .filter((t) => !/^\d+$/.test(t))
      .slice(0, 20);
    if (!qTokens.length || !this.docs.length) return [];
    const unknownIdf = this.idf(0);
    let total = 0;
    const coverage = new Map<number, number>();
    const weight = new Map<number, number>();
    for (const q of qTokens) {
      const expansions = this.expand(q);
      total += expansions.length ? Math.max(...expansions.map(([id]) => this.idf(this.df[id]!))) : unknownIdf;
      // Each document takes the best match it has for this query token.
      const bestCov = new Map<number, number>();
      const bestWeight = new Map<number, number>();
      for (const [termId, sim] of expansions) {
        const idf = this.idf(this.df[termId]!);
        for (const doc of this.postings[termId]!) {
          const tf = this.docs[doc]!.tf.get(termId)!;
          if (idf * sim > (bestCov.get(doc) ?? 0)) bestCov.set(doc, idf * sim);
          const w = idf * sim * (tf / (tf + TF_SATURATION));
          if (w > (bestWeight.get(doc) ?? 0)) bestWeight.set(doc, w);
        }
      }
      for (const [doc, v] of bestCov) coverage.set(doc, (coverage.get(doc) ?? 0) + v);
      for (const [doc, v] of bestWeight) weight.set(doc, (weight.get(doc) ?? 0) + v);
    }
    const blend = (doc: number) =>
      MIX.coverage * ((coverage.get(doc) ?? 0) / total) + MIX.weight * ((weight.get(doc) ?? 0) / total);
    const ranked = [...coverage.keys()].sort((a, b) => blend(b) - blend(a)).slice(0, RESCORE);
    if (!ranked.length) return [];
    const fuzzy = this.fuseScores(query, ranked);
    return ranked
      .map((doc) => {
        const score = Math.min(1, blend(doc) + MIX.fuse * (fuzzy.get(doc) ?? 0));
        const d = this.docs[doc]!;
        const covered = (coverage.get(doc) ?? 0) / total;
        return { id: d.id, title: d.title, score: round(score), coverage: round(covered) };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, MAX_RESULTS);
  }

  /** fuse.js similarity (1 is a perfect match) of the query to each candidate's own texts. */
  private fuseScores(query: string, docs: number[]): Map<number, number> {
    const out = new Map<number, number>();
    const pattern = fold(query).slice(0, FUSE_PATTERN);
    if (!pattern) return out;
    for (const doc of docs.slice(0, FUSE_CANDIDATES)) {
      let best = 0;
      for (const r of this.fuseOf(doc).search(pattern)) best = Math.max(best, 1 - (r.score ?? 1));
      out.set(doc, best);
    }
    return out;
  }

  /** One small fuse.js index per entry, built on first use and kept. */
  private fuseOf(doc: number): Fuse<string> {
    const d = this.docs[doc]!;
    d.fuse ??= new Fuse(d.strings, FUSE_OPTIONS);
    return d.fuse;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function trigrams(token: string): string[] {
  const padded = ` ${token} `;
  const out: string[] = [];
  for (let i = 0; i + 3 <= padded.length; i++) out.push(padded.slice(i, i + 3));
  return out;
}

/**
 * Answer only when the best topic explains enough of what was asked: words the store has
 * never seen ("rain", "football") leave the coverage low, and the bot says it does not know.
 */
export function decide(results: Hit[]): boolean {
  const [first, second] = results;
  if (!first || first.coverage < THRESHOLD.coverage || first.score < THRESHOLD.score) return false;
  return first.coverage >= THRESHOLD.sure || first.score - (second?.score ?? 0) >= THRESHOLD.margin;
}

/** All three languages' indexes, with the cross-language fallback. */
export class FaqSearcher {
  private readonly indexes: Record<Lang, LangIndex>;

  constructor(
    entries: Iterable<FaqEntry>,
    private readonly detect: (text: string) => Lang | null = () => null,
  ) {
    const list = [...entries];
    this.indexes = Object.fromEntries(LANGS.map((l) => [l, new LangIndex(l, list)])) as Record<
      Lang,
      LangIndex
    >;
  }

  searchIn(query: string, lang: Lang): FaqSearch {
    const hits = hasWords(query) ? this.indexes[lang].search(query) : [];
    return {
      query,
      lang,
      answered: decide(hits),
      results: hits.map(({ id, score, title }) => ({ id, score, title })),
    };
  }

  /**
   * Searches in `lang`; when that finds nothing confident, another language may: people mix
   * languages, and an answer found in English is still shown in the user's language.
   */
  search(query: string, lang: Lang | 'auto'): FaqSearch {
    if (lang === 'auto') {
      const detected = this.detect(query);
      if (detected) return this.search(query, detected);
      const all = LANGS.map((l) => this.searchIn(query, l));
      return all.sort(
        (a, b) =>
          Number(b.answered) - Number(a.answered) || (b.results[0]?.score ?? 0) - (a.results[0]?.score ?? 0),
      )[0]!;
    }
    const own = this.searchIn(query, lang);
    if (own.answered || !hasWords(query)) return own;
    for (const other of LANGS) {
      if (other === lang) continue;
      const found = this.searchIn(query, other);
      if (found.answered)
        return {
          ...found,
          lang,
          results: found.results.map((r) => ({ ...r, title: this.title(r.id, lang) ?? r.title })),
        };
    }
    return own;
  }

  private title(id: string, lang: Lang): string | undefined {
    return this.indexes[lang].titles.get(id);
  }
}
