import Fuse from 'fuse.js';
import type { FaqHit, FaqSearch } from '../engine/context.js';
import { LANGS, type Lang } from '../text/lang.js';
import { hasWords } from '../text/normalize.js';
import { CONCEPT_MARK, defaultLexicon, type Lexicon, type QueryToken } from './normalize.js';
import type { FaqEntry } from './schema.js';
import { deletions, isSlip, SLIP } from './slip.js';

/** How much a match in each field counts: keywords and titles are chosen words, phrasings are many. */
const FIELD_WEIGHT = { title: 2, keywords: 2, question: 1, phrasings: 1 } as const;
/** minAlias: a misspelt concept word must be closer than other words, or unknown words turn into concepts. */
const FUZZY = { minSimilarity: 0.6, minShort: 0.8, minAlias: 0.8 } as const;
/**
 * How fast repeated mentions stop counting (tf / (tf + TF_SATURATION)): high enough that a word an entry
 * is about (in its title, keywords and many phrasings) outweighs a word one phrasing happens to use.
 */
const TF_SATURATION = 8;
/** How the score is made: the share of the query matched, and how central the matched words are to the topic. */
const MIX = { coverage: 0.2, weight: 0.8 } as const;
const MAX_RESULTS = 5;
/** A long story keeps its end, where the question is. */
const MAX_QUERY = 600;
const MAX_TOKENS = 16;
/** The most candidates a common word scores, once rarer words have found more than that: the best so far. */
const MAX_POOL = 500;
const RARE_OWN = 2;

/**
 * When to answer, calibrated on the tuning split of test/eval/queries.yaml (npm run eval -- --calibrate):
 * the best entry explains enough of the message (coverage), scores well, and leads the second entry.
 */
export const DECISION = {
  score: 0.2,
  coverage: 0.4,
  shortCoverage: 0.7,
  sure: 0.6,
  margin: 0.02,
  /** Even a message fully explained needs its best entry ahead: a tie says the message does not pick a topic. */
  sureMargin: 0.005,
  /** A long story explains less of itself, but its best entry can still lead clearly: this many terms make a story. */
  storyTerms: 7,
  storyCoverage: 0.25,
  /** How far ahead of the second the best entry of a story must be, as a share of its own score. */
  storyLead: 0.1,
};
export type Decision = typeof DECISION;

/** A ranked hit, with the share of the query's meaning it covers. */
export type Hit = FaqHit & { coverage: number; terms: number };

type Doc = { id: string; titles: Partial<Record<Lang, string>> };

/** fuse.js scores a query word against the few known words that share its trigrams. */
const FUSE_WORD_OPTIONS = { includeScore: true, ignoreLocation: true, threshold: 0.5, shouldSort: false };
const FUZZY_CANDIDATES = 16;
/** One-slip matching against concept words: the shortest query word it tries, and what a slip in a four-letter word weighs. */
const ONE_EDIT = { minToken: SLIP.minWord, shortSim: 0.5 } as const;
const MAX_LENGTH_GAP = 3;
const PREFIX_SIMILARITY = 0.8;
const MAX_CACHED = 50_000;
const MAX_GRAM_TERMS = 400;
/** A word in more than this share of the entries only scores candidates that rarer words found. */
const COMMON_SHARE = 0.05;
/** The most postings one search walks for a word; past that it takes the entries where the word weighs most. */
const MAX_WALK = 1_500;

/** What one search found, before the decision to answer. */
export type Ranked = { hits: Hit[]; outside: boolean };

/**
 * One inverted index over the three languages of every entry: each language's text is read with
 * its own lexicon, and shared concepts (PAY, EMPLOYER...) make "el boss no me paga" and "bos la pa
 * peye m" meet the same entries. Typo-tolerant token matching (trigrams, fuse.js) finds words the
 * lexicon does not know. The score is the share of the query's meaning (IDF-weighted) that the entry
 * explains, so words the store has never seen pull it down: that is what rejects out-of-scope questions.
 */
export class FaqIndex {
  private readonly terms = new Map<string, number>();
  private readonly df: number[] = [];
  private readonly postings: number[][] = [];
  private readonly postingTf: number[][] = [];
  private readonly grams = new Map<string, number[]>();
  private readonly termText: string[] = [];
  /**
   * Words the lexicon reads as a concept, for typo tolerance only: in the trigram lists as
   * -(i + 1), each standing for the concept term `aliasOf[i]`.
   */
  private readonly aliasText: string[] = [];
  private readonly aliasOf: number[] = [];
  private readonly expansions = new Map<string, Array<[number, number]>>();
  readonly docs: Doc[] = [];

  constructor(
    entries: Iterable<FaqEntry>,
    readonly lexicon: Lexicon = defaultLexicon(),
  ) {
    for (const entry of entries) {
      const tf = new Map<number, number>();
      const titles: Doc['titles'] = {};
      for (const lang of LANGS) {
        const text = entry[lang];
        if (!text) continue;
        titles[lang] = text.title;
        const add = (s: string, w: number) => {
          for (const t of new Set(lexicon.indexTokens(s, lang))) {
            const id = this.term(t);
            tf.set(id, (tf.get(id) ?? 0) + w);
          }
        };
        add(text.title, FIELD_WEIGHT.title);
        add(text.question, FIELD_WEIGHT.question);
        for (const k of text.keywords) add(k, FIELD_WEIGHT.keywords);
        for (const p of text.phrasings) add(p, FIELD_WEIGHT.phrasings);
      }
      const doc = this.docs.length;
      this.docs.push({ id: entry.id, titles });
      for (const [termId, f] of tf) {
        this.postings[termId]!.push(doc);
        this.postingTf[termId]!.push(f);
        this.df[termId]! += 1;
      }
    }
    for (const lang of LANGS) {
      for (const [word, concept] of lexicon.conceptWords([lang])) {
        const target = this.terms.get(concept);
        if (target === undefined || word.includes(' ')) continue;
        // Even where another language's text brought the word in as itself ("trafik" in an English
        // block), a slip in it ("trafk") means the concept.
        if (word.length >= SLIP.minWord) this.addOneEdit(word, target, lang);
        if (this.terms.has(word) || word.length < 6) continue;
        const alias = -(this.aliasText.length + 1);
        this.aliasText.push(word);
        this.aliasOf.push(target);
        for (const g of trigrams(word)) {
          const list = this.grams.get(g);
          if (list) list.push(alias);
          else this.grams.set(g, [alias]);
        }
      }
    }
  }

  /**
   * A concept word and each of its one-letter deletions, pointing at the concept: a query word
   * one edit away (a letter dropped, added, changed or two swapped: "cvoid", "plnt", "rasi") shares
   * one of these keys. Trigrams miss such typos in short words, where every trigram is touched.
   */
  private readonly oneEdit = new Map<string, OneEdit[]>();

  private addOneEdit(word: string, target: number, lang: Lang): void {
    for (const key of [word, ...deletions(word)]) {
      const list = this.oneEdit.get(key);
      const same = list?.find((e) => e.word === word && e.target === target);
      if (same) same.langs.add(lang);
      else if (list) list.push({ word, target, langs: new Set([lang]) });
      else this.oneEdit.set(key, [{ word, target, langs: new Set([lang]) }]);
    }
  }

  /**
   * The concepts whose words are one typo away from `token`, with how close they are. A word of
   * the message's language wins over another language's: in Creole "plnt" is plent, not "plant".
   */
  private oneEditConcepts(token: string, lang: Lang): Array<[number, number]> {
    const found: Array<[target: number, sim: number, own: boolean]> = [];
    for (const key of [token, ...deletions(token)]) {
      for (const { word, target, langs } of this.oneEdit.get(key) ?? []) {
        if (!isSlip(word, token)) continue;
        // A short word's slip is less sure: it helps the ranking more than the decision to answer.
        const sim =
          word.length < SLIP.anyEdit ? ONE_EDIT.shortSim : 1 - 1 / Math.max(word.length, token.length);
        found.push([target, sim, langs.has(lang)]);
      }
    }
    const own = found.some(([, , o]) => o);
    const out: Array<[number, number]> = [];
    for (const [target, sim, o] of found) if (o || !own) keepBest(out, target, sim);
    return out;
  }

  private textOf(id: number): string {
    return id >= 0 ? this.termText[id]! : this.aliasText[-id - 1]!;
  }

  private term(t: string): number {
    let id = this.terms.get(t);
    if (id === undefined) {
      id = this.termText.length;
      this.terms.set(t, id);
      this.termText.push(t);
      this.df.push(0);
      this.postings.push([]);
      this.postingTf.push([]);
      if (!t.startsWith(CONCEPT_MARK)) {
        for (const g of trigrams(t)) {
          const list = this.grams.get(g);
          if (list) list.push(id);
          else this.grams.set(g, [id]);
        }
      }
    }
    return id;
  }

  private idf(df: number): number {
    // Flatter than BM25's: a word found in one entry by chance must not outweigh the concepts
    // the message is about.
    const n = this.docs.length;
    return Math.log(1 + n / (df + 0.5));
  }

  /**
   * Known terms close to a query token: itself, or spellings a typo or two away. Trigrams
   * pick a few candidate words; fuse.js scores how close each one is. Results are cached:
   * chat messages reuse the same words all day.
   */
  private expand(token: string, lang: Lang): Array<[number, number]> {
    const exact = this.terms.get(token);
    if (exact !== undefined) return [[exact, 1]];
    if (token.startsWith(CONCEPT_MARK) || token.length < ONE_EDIT.minToken) return [];
    const key = `${lang} ${token}`;
    const cached = this.expansions.get(key);
    if (cached) return cached;
    const out: Array<[number, number]> = [];
    // A typo in a word of four letters is most often another word ("rain" is not "train"): only a
    // slip in a word the lexicon names for a concept is looked for there ("covi", "pemi").
    if (token.length >= 5) this.fuzzyTerms(token, out);
    for (const [target, sim] of this.oneEditConcepts(token, lang)) keepBest(out, target, sim);
    const best = out.sort((a, b) => b[1] - a[1]).slice(0, 4);
    this.remember(key, best);
    return best;
  }

  /** Known words and concept words that share trigrams with `token`, scored by fuse.js, into `out`. */
  private fuzzyTerms(token: string, out: Array<[number, number]>): void {
    const qg = trigrams(token);
    const shared = new Map<number, number>();
    for (const g of qg) {
      const list = this.grams.get(g) ?? [];
      // A trigram shared by thousands of words tells little and costs much: skip it.
      if (list.length > MAX_GRAM_TERMS) continue;
      for (const id of list) {
        const len = this.textOf(id).length;
        if (Math.abs(len - token.length) <= MAX_LENGTH_GAP) shared.set(id, (shared.get(id) ?? 0) + 1);
      }
    }
    const candidates = [...shared]
      .filter(([, n]) => n >= 2)
      .sort((a, b) => b[1] - a[1])
      .slice(0, FUZZY_CANDIDATES)
      .map(([id]) => id);
    if (candidates.length) {
      const fuse = new Fuse(
        candidates.map((id) => this.textOf(id)),
        FUSE_WORD_OPTIONS,
      );
      for (const r of fuse.search(token)) {
        const other = r.item;
        const prefix =
          other.length >= 4 && (token.startsWith(other) || other.startsWith(token)) ? PREFIX_SIMILARITY : 0;
        const sim = Math.max(1 - (r.score ?? 1), prefix);
        // Short words need a closer match: one letter off in four is another word.
        if (sim < (token.length <= 5 ? FUZZY.minShort : FUZZY.minSimilarity)) continue;
        const id = candidates[r.refIndex]!;
        // A concept word is reached by a misspelling only, not by a longer word that starts with it.
        if (id < 0 && 1 - (r.score ?? 1) < FUZZY.minAlias) continue;
        const target = id >= 0 ? id : this.aliasOf[-id - 1]!;
        keepBest(out, target, sim);
      }
    }
  }

  private remember(key: string, expansions: Array<[number, number]>): void {
    if (this.expansions.size > MAX_CACHED) this.expansions.clear();
    this.expansions.set(key, expansions);
  }

  /** The terms a query token stands for: its own form, another language's, or a close spelling; null drops it. */
  private resolve(t: QueryToken, lang: Lang): Array<[number, number]> | null {
    // "the", "de", "el", "pou" in a message of another language say nothing, even where a
    // code-switched phrasing put them in the index.
    if (t.stopElsewhere) return null;
    const own = this.terms.get(t.form);
    // A word only a code-switched phrasing or two brought into the index ("wage" in a Spanish
    // block) counts as the concept another language knows it for.
    const concept = t.alternatives.find((a) => a.startsWith(CONCEPT_MARK) && this.terms.has(a));
    if (own !== undefined && (concept === undefined || this.df[own]! > RARE_OWN)) return [[own, 1]];
    if (concept !== undefined) return [[this.terms.get(concept)!, 1]];
    for (const alt of t.alternatives) {
      const id = this.terms.get(alt);
      if (id !== undefined) return [[id, 1]];
    }
    const close = this.expand(t.form, lang);
    if (close.length || t.form.startsWith(CONCEPT_MARK) || !this.lexicon.nearStop(t.form, lang)) return close;
    return null;
  }

  /** The entries that best explain a query in `lang`, best first. */
  search(query: string, lang: Lang): Ranked {
    const text = query.length > MAX_QUERY ? query.slice(-MAX_QUERY) : query;
    const analysis = this.lexicon.analyse(text, lang);
    // Digits carry no topic ("3 weeks", "300 dollars") and would count as unknown words.
    const seen = new Map<string, QueryToken>();
    for (const t of analysis.tokens) {
      if (/^\d+$/.test(t.form)) continue;
      const before = seen.get(t.form);
      if (!before || before.weight < t.weight) seen.set(t.form, t);
    }
    const qTokens = [...seen.values()].sort((a, b) => b.weight - a.weight).slice(0, MAX_TOKENS);
    const outside = analysis.outside.length > 0;
    const n = this.docs.length;
    if (!qTokens.length || !n) return { hits: [], outside };
    if (this.cov.length !== n) this.allocate(n);
    const { cov, wgt, tokCov, tokWgt } = this;
    const touched: number[] = [];
    let pool: number[] | undefined;
    const unknownIdf = this.idf(0);
    // Out-of-scope cues count as words no entry explains.
    let total = analysis.outside.length * unknownIdf;
    // Rare words first: they pick the candidates. A word in a large share of the entries then
    // only adds to candidates already found, looked up by binary search instead of a full walk.
    const tokens = qTokens
      .map((q) => {
        const expansions = this.resolve(q, lang);
        return {
          expansions,
          weight: q.weight,
          df: expansions ? Math.max(0, ...expansions.map(([id]) => this.df[id]!)) : 0,
        };
      })
      .filter((t) => t.expansions !== null)
      .sort((a, b) => a.df - b.df);
    for (const { expansions, weight } of tokens) {
      const list = expansions!;
      total += weight * (list.length ? Math.max(...list.map(([id]) => this.idf(this.df[id]!))) : unknownIdf);
      // Each document takes the best match it has for this query token.
      const tokTouched: number[] = [];
      const mark = (doc: number, tf: number, idf: number) => {
        if (tokCov[doc] === 0) tokTouched.push(doc);
        if (idf > tokCov[doc]!) tokCov[doc] = idf;
        const w = idf * (tf / (tf + TF_SATURATION));
        if (w > tokWgt[doc]!) tokWgt[doc] = w;
      };
      for (const [termId, sim] of list) {
        const idf = this.idf(this.df[termId]!) * sim * weight;
        const docs = this.postings[termId]!;
        const tfs = this.postingTf[termId]!;
        // Only in a large store: in a small one every entry is cheap to score, and skipping would lose them.
        if (
          touched.length &&
          docs.length > MAX_WALK &&
          docs.length > n * COMMON_SHARE &&
          touched.length < docs.length / 4
        ) {
          pool ??= touched.length > MAX_POOL ? bestByScore(touched, MAX_POOL, cov) : [...touched];
          for (const doc of pool) {
            const i = findSorted(docs, doc);
            if (i >= 0) mark(doc, tfs[i]!, idf);
          }
          continue;
        }
        if (docs.length <= MAX_WALK) {
          for (let i = 0; i < docs.length; i++) mark(docs[i]!, tfs[i]!, idf);
          continue;
        }
        // Only common words in the question: the entries where the word weighs most are the candidates.
        for (const i of this.heaviest(termId)) mark(docs[i]!, tfs[i]!, idf);
      }
      for (const doc of tokTouched) {
        if (cov[doc] === 0) touched.push(doc);
        cov[doc]! += tokCov[doc]!;
        wgt[doc]! += tokWgt[doc]!;
        tokCov[doc] = 0;
        tokWgt[doc] = 0;
      }
    }
    const blend = (doc: number) => (total ? (MIX.coverage * cov[doc]! + MIX.weight * wgt[doc]!) / total : 0);
    const hits = topK(touched, MAX_RESULTS, blend).map((doc) => {
      const d = this.docs[doc]!;
      return {
        id: d.id,
        title: d.titles[lang] ?? d.titles.es ?? Object.values(d.titles)[0] ?? d.id,
        score: round(Math.min(1, blend(doc))),
        coverage: round(total ? cov[doc]! / total : 0),
        terms: qTokens.length + analysis.outside.length,
      };
    });
    for (const doc of touched) {
      cov[doc] = 0;
      wgt[doc] = 0;
    }
    return { hits: hits.sort((a, b) => b.score - a.score), outside };
  }

  title(id: string, lang: Lang): string | undefined {
    return this.docs.find((d) => d.id === id)?.titles[lang];
  }

  /** Positions in a term's postings, heaviest first, cut to MAX_WALK; built on first use. */
  private heaviest(termId: number): number[] {
    let list = this.heavy.get(termId);
    if (!list) {
      const tfs = this.postingTf[termId]!;
      list = tfs
        .map((_, i) => i)
        .sort((a, b) => tfs[b]! - tfs[a]! || a - b)
        .slice(0, MAX_WALK);
      this.heavy.set(termId, list);
    }
    return list;
  }

  private readonly heavy = new Map<number, number[]>();

  /** Scratch space for scoring, one slot per entry, reused by every search. */
  private cov = new Float64Array(0);
  private wgt = new Float64Array(0);
  private tokCov = new Float64Array(0);
  private tokWgt = new Float64Array(0);

  private allocate(n: number): void {
    this.cov = new Float64Array(n);
    this.wgt = new Float64Array(n);
    this.tokCov = new Float64Array(n);
    this.tokWgt = new Float64Array(n);
  }
}

/** The index of `value` in an ascending list, or -1. */
function findSorted(list: number[], value: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]!;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The k items of highest score, in no order: a partial selection (quickselect on the scores)
 * instead of sorting thousands of candidates, the spike of a search with common words.
 */
function bestByScore(items: number[], k: number, score: Float64Array): number[] {
  if (items.length <= k) return [...items];
  const values = Float64Array.from(items, (i) => score[i]!);
  // The k-th highest score: everything above it is in, ties at it fill up to k.
  let lo = 0;
  let hi = values.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! > pivot) i++;
      while (values[j]! < pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  const kth = values[target]!;
  const out: number[] = [];
  for (const item of items) if (score[item]! > kth) out.push(item);
  for (const item of items) {
    if (out.length >= k) break;
    if (score[item] === kth) out.push(item);
  }
  return out;
}

/** The k best items by score, without sorting them all: a store can hold 50,000 entries. */
function topK(items: number[], k: number, score: (i: number) => number): number[] {
  const best: Array<[number, number]> = [];
  for (const item of items) {
    const v = score(item);
    if (best.length === k && v <= best[k - 1]![1]) continue;
    let i = best.length;
    while (i > 0 && best[i - 1]![1] < v) i--;
    best.splice(i, 0, [item, v]);
    if (best.length > k) best.pop();
  }
  return best.map(([item]) => item);
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
 * Answer only when the best topic clearly explains the message and is clearly ahead of the next:
 * words the store has never seen ("rain", "football") leave the coverage low, an out-of-scope cue
 * ("a US visa", "exchange rate") is never answered, and the unsure middle gets suggestions.
 */
export function decide(ranked: Ranked, d: Decision = DECISION): boolean {
  if (ranked.outside) return false;
  const [first, second] = ranked.hits;
  if (!first || first.score < d.score) return false;
  const lead = first.score - (second?.score ?? 0);
  // A long story with the question at its end: many of its words are the story's, so the best
  // entry explains less of it; a clear lead over the next entry is what makes it sure.
  if (first.terms >= d.storyTerms && first.coverage >= d.storyCoverage && lead >= d.storyLead * first.score)
    return true;
  // With one or two words, half a match is one word: too little to be sure.
  if (first.coverage < (first.terms <= 2 ? d.shortCoverage : d.coverage)) return false;
  return first.coverage >= d.sure ? lead >= d.sureMargin : lead >= d.margin;
}

/** Search over every language's text at once, answered in the user's language. */
export class FaqSearcher {
  readonly index: FaqIndex;

  constructor(
    entries: Iterable<FaqEntry>,
    private readonly detect: (text: string) => Lang | null = () => null,
    lexicon: Lexicon = defaultLexicon(),
  ) {
    this.index = new FaqIndex(entries, lexicon);
  }

  /** The ranked entries for a query read as `lang`, before the decision to answer. */
  rank(query: string, lang: Lang): Ranked {
    return hasWords(query) ? this.index.search(query, lang) : { hits: [], outside: false };
  }

  searchIn(query: string, lang: Lang, d: Decision = DECISION): FaqSearch {
    const ranked = this.rank(query, lang);
    return {
      query,
      lang,
      answered: decide(ranked, d),
      results: ranked.hits.map(({ id, score, title }) => ({ id, score, title })),
    };
  }

  /**
   * Searches with the message read as `lang`; words of the other languages are read with their
   * own lexicon, so a code-switched message needs no second search. With 'auto', the detected
   * language reads it, or the language that explains it best.
   */
  search(query: string, lang: Lang | 'auto', d: Decision = DECISION): FaqSearch {
    if (lang !== 'auto') return this.searchIn(query, lang, d);
    const detected = this.detect(query);
    if (detected) return this.searchIn(query, detected, d);
    const all = LANGS.map((l) => this.searchIn(query, l, d));
    return all.sort(
      (a, b) =>
        Number(b.answered) - Number(a.answered) || (b.results[0]?.score ?? 0) - (a.results[0]?.score ?? 0),
    )[0]!;
  }
}

type OneEdit = { word: string; target: number; langs: Set<Lang> };

/** Adds a match to a list of (term, similarity), keeping the best similarity of each term. */
function keepBest(out: Array<[number, number]>, target: number, sim: number): void {
  const before = out.findIndex(([t]) => t === target);
  if (before < 0) out.push([target, sim]);
  else if (sim > out[before]![1]) out[before]![1] = sim;
}
