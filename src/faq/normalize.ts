import { LANGS, type Lang } from '../text/lang.js';
import { fold } from '../text/normalize.js';
import { defaultLexiconFiles, type LexiconFile } from './lexicon.js';
import { deletions, isDropOrSwap } from './slip.js';
import { stem } from './stem.js';

export { stem };

/** Concept tokens start with this mark, so that no word of any language can be mistaken for one. */
export const CONCEPT_MARK = '@';
/** A query message at least this long is a story: its question part weighs more than the rest. */
export const LONG_MESSAGE = 90;
/** How much a word of the story weighs, beside a word of the question part. */
export const STORY_WEIGHT = 0.5;
/** How much a concept of one word inside a phrase weighs, beside the phrase's own. */
export const INNER_WEIGHT = 0.3;
/** How much the words of a question cue weigh, beside the rest of the message. */
export const CUE_WEIGHT = 1.5;

type Phrase = { words: string[]; token: string };

/** One language's lexicon, compiled for lookups. */
class LangLexicon {
  readonly spellings = new Map<string, string[]>();
  readonly rules: Array<[RegExp, string]>;
  readonly afterNumber = new Map<string, string>();
  readonly canonical = new Map<string, string>();
  readonly stop: Set<string>;
  /** Stop words of four letters or more, stemmed, and each with one letter left out: to know a misspelt one. */
  private readonly stopStems = new Set<string>();
  private readonly stopNear = new Set<string>();
  /** The stem of a word → its concept token. */
  readonly concepts = new Map<string, string>();
  /** Out-of-scope phrases under each of their words, to find one typed with a slip ("westen union"). */
  private readonly outPhrases = new Map<string, Array<{ words: string[]; at: number; token: string }>>();
  /** Phrases of concepts and out-of-scope cues, by the stem of their first word. */
  readonly phrases = new Map<string, Phrase[]>();
  readonly cues = new Map<string, Phrase[]>();

  constructor(
    readonly lang: Lang,
    file: LexiconFile,
  ) {
    for (const [form, words] of Object.entries(file.spellings))
      this.spellings.set(fold(form), fold(words).split(' ').filter(Boolean));
    this.rules = file.rules.map((r) => [new RegExp(r.match), r.replace]);
    for (const [form, word] of Object.entries(file.after_number))
      this.afterNumber.set(fold(form), fold(word));
    for (const [word, variants] of Object.entries(file.words))
      for (const v of variants) this.canonical.set(fold(v), fold(word));
    this.stop = new Set(file.stop.map(fold));
    // As typed and as stemmed: a query word is stemmed only when it is long enough ("coo", "como").
    for (const word of this.stop)
      for (const s of new Set([word, stem(word, lang)])) {
        if (s.length < 4 || s.includes(' ')) continue;
        this.stopStems.add(s);
        for (const d of deletions(s)) this.stopNear.add(d);
      }
    // A stop entry of several words ("santo domingo") is a phrase that says nothing: it is dropped whole,
    // so that "domingo" in a place name is not a day of rest.
    for (const entry of file.stop) {
      if (!fold(entry).includes(' ')) continue;
      const words = this.stems(entry);
      if (words.length > 1) add(this.phrases, words[0]!, { words, token: '' });
    }
    for (const [id, words] of Object.entries(file.concepts)) this.addConcept(`${CONCEPT_MARK}${id}`, words);
    for (const [id, words] of Object.entries(file.out_of_scope))
      this.addConcept(`${CONCEPT_MARK}OUT_${id}`, words);
    for (const cue of file.question_cues) {
      const words = this.stems(cue);
      if (words.length) add(this.cues, words[0]!, { words, token: '' });
    }
  }

  private addConcept(token: string, list: readonly string[]): void {
    const outside = token.startsWith(`${CONCEPT_MARK}OUT_`);
    for (const item of list) {
      const words = this.stems(item);
      if (words.length === 1) this.concepts.set(words[0]!, token);
      else if (words.length > 1) add(this.phrases, words[0]!, { words, token });
      if (outside && words.length > 1)
        for (const [at, w] of words.entries()) add(this.outPhrases, w, { words, at, token });
    }
  }

  /**
   * An out-of-scope phrase in these stems with one word typed with a slip: "westen union" is still a
   * money transfer. The other words must be as written, and a cue of one word is never guessed, so a
   * real question that shares a word with a cue stays a question.
   */
  slippedOutside(stems: string[]): string | undefined {
    for (let i = 0; i < stems.length; i++) {
      for (const { words, at, token } of this.outPhrases.get(stems[i]!) ?? []) {
        const start = i - at;
        if (start < 0 || start + words.length > stems.length) continue;
        let slips = 0;
        for (let k = 0; k < words.length && slips <= 1; k++) {
          const typed = stems[start + k]!;
          if (typed === words[k]) continue;
          slips += isDropOrSwap(words[k]!, typed) ? 1 : 2;
        }
        if (slips === 1) return token;
      }
    }
    return undefined;
  }

  /** A stop word, or in Spanish a stop verb with a pronoun joined to it ("hacerme", "decirle"). */
  isStop(word: string): boolean {
    if (this.stop.has(word)) return true;
    if (this.lang !== 'es') return false;
    const verb = word.replace(/(?<=[aei]r)(me|te|le|les|lo|la|los|las|nos|se)$/, '');
    return verb !== word && this.stop.has(verb);
  }

  /**
   * A stop word with a letter missing or one too many ("hae" for "hace", "cuato" for "cuanto"):
   * a word the index does not know either is dropped as that stop word, not counted as a word no
   * entry explains. A letter typed for another is not looked for: "marca" is not "marzo".
   */
  nearStop(form: string): boolean {
    if (form.length < 3) return false;
    return this.stopNear.has(form) || deletions(form).some((d) => this.stopStems.has(d));
  }

  private stems(text: string): string[] {
    return this.words(text).map((w) => stem(w, this.lang));
  }

  /** One folded word as this language reads it: spellings first, then the spelling rules, then regional words. */
  spell(word: string): string[] {
    let spelled = this.spellings.get(word);
    if (!spelled) {
      let out = word;
      for (const [re, replace] of this.rules) out = out.replace(re, replace);
      spelled = this.spellings.get(out) ?? [out];
    }
    return spelled.map((w) => this.regional(w) ?? w);
  }

  /** The common word a regional word stands for; a plural ("cedulas", "jefes", "bosses") as its singular. */
  private regional(word: string): string | undefined {
    const own = this.canonical.get(word);
    if (own !== undefined || this.lang === 'ht' || word.length < 4 || !word.endsWith('s')) return own;
    return (
      this.canonical.get(word.slice(0, -1)) ??
      (word.endsWith('es') ? this.canonical.get(word.slice(0, -2)) : undefined)
    );
  }

  /** The words of a text, folded and spelled. */
  words(text: string): string[] {
    const out: string[] = [];
    let previous = '';
    for (const raw of fold(joinElisions(text)).split(' ')) {
      if (!raw) continue;
      for (const t of raw.replace(/^(covid)(\d+)$/, '$1 $2').split(' ')) {
        const number = /^\d+$/.test(previous) ? this.afterNumber.get(t) : undefined;
        if (number) out.push(number);
        else out.push(...this.spell(t));
        previous = t;
      }
    }
    return out;
  }
}

/**
 * "don't", "I'm", "m'ap", "pa'l" are typed as "dont", "im", "map", "pal" just as often: one spelling for both,
 * which the lexicon's spellings then read. "I'd" stays apart: "id" is an ID card.
 */
function joinElisions(text: string): string {
  return text.replace(/(\p{L})['’ʼ](?!d\b)(?=\p{L})/gu, '$1');
}

function add<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A word of a query as search reads it: its own language's form first, then how the other languages read it. */
export type QueryToken = {
  /** A concept token, or the stem in the query's language. */
  form: string;
  /** The stems the other languages give, for words of another language ("wages" in Spanish). */
  alternatives: string[];
  /** The word is a stop word in another language: dropped when the index does not know it. */
  stopElsewhere: boolean;
  weight: number;
};

export type Analysis = {
  tokens: QueryToken[];
  /** Out-of-scope cues found in the message ("@OUT_VISA"). */
  outside: string[];
};

/**
 * The three languages' lexicons, compiled. Search reads concepts and question cues; triage reads
 * only spellings and regional words (tokens()), so that a concept never widens a danger phrase.
 */
export class Lexicon {
  private readonly langs: Record<Lang, LangLexicon>;

  constructor(files: Record<Lang, LexiconFile>) {
    this.langs = Object.fromEntries(LANGS.map((l) => [l, new LangLexicon(l, files[l])])) as Record<
      Lang,
      LangLexicon
    >;
  }

  /**
   * Every single word a lexicon reads as a concept, with its concept: search reaches the concept
   * from a misspelling of the word ("traay" for "travay"), as it reaches the index's own words.
   */
  conceptWords(langs: readonly Lang[] = LANGS): Array<[word: string, concept: string]> {
    return langs.flatMap((l) => [...this.langs[l].concepts]);
  }

  /** Whether a query word the index does not know is a misspelt stop word of `lang`. */
  nearStop(form: string, lang: Lang): boolean {
    return this.langs[lang].nearStop(form);
  }

  /** Tokens of a text, stop words kept: how triage reads messages and phrases. */
  tokens(text: string, lang: Lang): string[] {
    return this.langs[lang].words(text).map((t) => stem(t, lang));
  }

  /** The tokens an entry's text is indexed under: concepts where the lexicon knows them, stems elsewhere. */
  indexTokens(text: string, lang: Lang): string[] {
    return this.analyse(text, lang, false).tokens.map((t) => t.form);
  }

  /**
   * A message as search reads it. In a long message, the question part (its last sentence with words
   * that mean something, or the words around "que hago", "what can i do", "kisa pou m fè") weighs
   * more than the story before it, which still counts.
   */
  analyse(text: string, lang: Lang, query = true): Analysis {
    const own = this.langs[lang];
    const others = LANGS.filter((l) => l !== lang).map((l) => this.langs[l]);
    const segments: string[][] = [];
    const cueSegments = new Set<string[]>();
    for (const part of text.split(/[.?!;\n¿¡]+/)) {
      const words = own.words(part);
      if (!words.length) continue;
      if (query) segments.push(...splitAtCues(words, own, cueSegments));
      else segments.push(words);
    }
    const weights = query ? segmentWeights(segments, own, text.length, cueSegments) : segments.map(() => 1);
    // A question cue that is a concept of its own ("a quien llamo", "is that trafficking") says
    // what is asked; the plain words of a cue ("es legal") weigh as any other.
    const phraseWeights = segments.map((words, s) => (cueSegments.has(words) ? CUE_WEIGHT : weights[s]!));
    const tokens: QueryToken[] = [];
    const outside: string[] = [];
    const push = (form: string, weight: number) =>
      tokens.push({ form, alternatives: [], stopElsewhere: false, weight });
    segments.forEach((words, s) => {
      const stems = words.map((w) => stem(w, lang));
      for (let i = 0; i < words.length; ) {
        const phrase = longestPhrase(stems, i, [own, ...others]);
        if (phrase?.token === '') {
          i += phrase.words.length;
          continue;
        }
        if (phrase) {
          if (phrase.token.startsWith(`${CONCEPT_MARK}OUT_`)) outside.push(phrase.token);
          else push(phrase.token, phraseWeights[s]!);
          // In a message, the phrase's own words keep the concepts they have: "es trata" is a
          // question about the signs, and still about trafficking. An entry's phrase stands for its
          // concept alone: "legal clinic" does not make the legal aid entry one about health.
          for (let k = i; query && k < i + phrase.words.length; k++) {
            const inner = own.concepts.get(stems[k]!);
            if (inner && inner !== phrase.token && !inner.startsWith(`${CONCEPT_MARK}OUT_`))
              tokens.push({
                form: inner,
                alternatives: [],
                stopElsewhere: false,
                // The phrase says what the words mean together: "public holidays" is about rest first.
                weight: weights[s]! * INNER_WEIGHT,
              });
          }
          i += phrase.words.length;
          continue;
        }
        const word = words[i]!;
        const st = stems[i]!;
        i++;
        if (word.length < 2 || own.isStop(word)) continue;
        const concept = own.concepts.get(st);
        if (concept?.startsWith(`${CONCEPT_MARK}OUT_`)) {
          outside.push(concept);
          continue;
        }
        if (concept || !query) {
          push(concept ?? st, weights[s]!);
          continue;
        }
        // A word this language does not know may be another's ("wages" in Spanish, "patron" in
        // Creole): its concepts come first, then its stems. Search uses them only when the index
        // does not know the word as this language reads it.
        const concepts: string[] = [];
        const otherStems: string[] = [];
        let stopElsewhere = false;
        for (const other of others) {
          const spelled = other.spell(word);
          if (spelled.length !== 1) continue;
          const w = spelled[0]!;
          if (other.stop.has(w)) {
            stopElsewhere = true;
            continue;
          }
          const s2 = stem(w, other.lang);
          const c = other.concepts.get(s2);
          if (c && !c.startsWith(`${CONCEPT_MARK}OUT_`)) concepts.push(c);
          else if (s2 !== st) otherStems.push(s2);
        }
        tokens.push({
          form: st,
          alternatives: [...concepts, ...otherStems],
          stopElsewhere,
          weight: weights[s]!,
        });
      }
    });
    // No cue as written: one typed with a slip still says the question is out of scope.
    if (query && !outside.length) {
      for (const words of segments) {
        const stems = words.map((w) => stem(w, lang));
        const slipped = [own, ...others].map((lex) => lex.slippedOutside(stems)).find(Boolean);
        if (slipped) {
          outside.push(slipped);
          break;
        }
      }
    }
    return { tokens, outside };
  }
}

/** The longest phrase of any of the lexicons that starts at word i. */
function longestPhrase(stems: string[], i: number, lexicons: LangLexicon[]): Phrase | undefined {
  let best: Phrase | undefined;
  for (const lex of lexicons) {
    for (const p of lex.phrases.get(stems[i]!) ?? []) {
      if (best && p.words.length <= best.words.length) continue;
      if (p.words.every((w, k) => stems[i + k] === w)) best = p;
    }
  }
  return best;
}

/**
 * A run of words cut where a question cue starts and ends: "no me pagan | que hago | si me voy". A concept
 * phrase that starts with a cue ("how do i | report", "kote pou m al | plenyen") is the cue: it is not cut.
 */
function splitAtCues(words: string[], lex: LangLexicon, cues: Set<string[]>): string[][] {
  const stems = words.map((w) => stem(w, lex.lang));
  const out: string[][] = [];
  let start = 0;
  for (let i = 0; i < words.length; i++) {
    const phrase = longestPhrase(stems, i, [lex]);
    const cue = lex.cues.get(stems[i]!)?.find((c) => c.words.every((w, k) => stems[i + k] === w));
    // A cue inside a phrase ("cuanto | me tienen que pagar") does not cut it.
    if (!cue) {
      if (phrase) i += phrase.words.length - 1;
      continue;
    }
    if (i > start) out.push(words.slice(start, i));
    // A phrase that starts inside the cue and ends after it ("kijan pou m | fe papye") goes with the cue.
    let length = cue.words.length;
    for (let k = i; k < i + cue.words.length; k++) {
      const inner = k === i ? phrase : longestPhrase(stems, k, [lex]);
      if (inner?.token) length = Math.max(length, k - i + inner.words.length);
    }
    const segment = words.slice(i, i + length);
    cues.add(segment);
    out.push(segment);
    start = i + length;
    i = start - 1;
  }
  if (start < words.length) out.push(words.slice(start));
  return out;
}

/**
 * The question part of a long message weighs 1, the story STORY_WEIGHT: the last segments that hold two
 * words that mean something, or one beside a question cue ("| es normal | o es estafa").
 */
function segmentWeights(
  segments: string[][],
  lex: LangLexicon,
  length: number,
  cues: Set<string[]>,
): number[] {
  const weights = segments.map(() => 1);
  if (length < LONG_MESSAGE || segments.length < 2) return weights;
  const meaningful = (words: string[]) => words.filter((w) => w.length > 1 && !lex.isStop(w)).length;
  let q = segments.length - 1;
  let found = meaningful(segments[q]!);
  let cue = cues.has(segments[q]!);
  while (q > 0 && found < 2 && !(cue && found > 0)) {
    q--;
    found += meaningful(segments[q]!);
    cue ||= cues.has(segments[q]!);
  }
  for (let s = 0; s < q; s++) weights[s] = STORY_WEIGHT;
  return weights;
}

let shared: Lexicon | undefined;

/** The repository's lexicon, compiled once: for triage and search built without content. */
export function defaultLexicon(): Lexicon {
  shared ??= new Lexicon(defaultLexiconFiles());
  return shared;
}

/** Tokens of a text for one language, stop words kept (triage). */
export function tokens(text: string, lang: Lang, lexicon: Lexicon = defaultLexicon()): string[] {
  return lexicon.tokens(text, lang);
}
