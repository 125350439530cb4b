import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { ROOT } from '../config/env.js';
import type { Problem } from '../content/problems.js';
import { YamlSource, zodProblems } from '../content/yaml.js';
import { LANG_NAMES, LANGS, type Lang } from '../text/lang.js';
import { fold } from '../text/normalize.js';
import { stem } from './stem.js';

/** A concept shared by the three languages: "PAY" stands for pisto, lana, wages, kòb and salè alike. */
export const CONCEPT_ID = /^[A-Z][A-Z0-9_]*$/;
const ConceptId = z.string().regex(CONCEPT_ID, 'a concept id is in capitals, e.g. PAY or EMPLOYER');
const Words = z.array(z.string().trim().min(1)).min(1, 'list at least one word');

/** One language's file in data/lexicon/: how people type, mapped to what search and triage read. */
export const LexiconFileSchema = z.strictObject({
  /** A typed form (texting, SMS, another spelling) → the word or words it stands for. */
  spellings: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** Spelling rules on one folded word, applied in order when no spelling matched: regular expressions. */
  rules: z
    .array(
      z.strictObject({
        match: z.string().refine(validRegex, 'this regular expression does not compile'),
        replace: z.string(),
      }),
    )
    .default([]),
  /** A word typed right after a number that means something else there ("12 e" is twelve hours in Creole). */
  after_number: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** Regional words for one common word of the same language; triage reads them too. */
  words: z.record(z.string().min(1), Words).default({}),
  /** Words and phrases of this language for each shared concept: search only. */
  concepts: z.record(ConceptId, Words).default({}),
  /** Words too common to tell one topic from another; an entry of several words (a place name) is dropped whole. */
  stop: z.array(z.string().min(1)).default([]),
  /** Phrases that ask the question of a long message ("que hago"): the words around them weigh more. */
  question_cues: z.array(z.string().min(1)).default([]),
  /** Phrases of questions the service does not answer (a visa, bus fares, exchange rates): never answered. */
  out_of_scope: z.record(ConceptId, Words).default({}),
});
export type LexiconFile = z.infer<typeof LexiconFileSchema>;

function validRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

const EMPTY: LexiconFile = LexiconFileSchema.parse({});

export type LoadedLexicon = { files: Record<Lang, LexiconFile>; problems: Problem[] };

/** Reads data/lexicon/<lang>.yaml; a missing or broken file counts as empty and is reported. */
export function loadLexiconDir(dir: string, root = process.cwd()): LoadedLexicon {
  const files = { es: EMPTY, en: EMPTY, ht: EMPTY } as Record<Lang, LexiconFile>;
  const problems: Problem[] = [];
  for (const lang of LANGS) {
    const path = join(dir, `${lang}.yaml`);
    const shown = relative(root, path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      problems.push({
        severity: 'warning',
        file: shown,
        line: 1,
        column: 1,
        code: 'lexicon.missing',
        message: `the ${LANG_NAMES[lang]} lexicon is missing: texting spellings and regional words of ${lang} are not understood`,
        hint: `create ${shown} with spellings:, words:, concepts: and stop: (see data/lexicon/es.yaml)`,
      });
      continue;
    }
    const { source, problems: yamlProblems } = YamlSource.parse(shown, text);
    if (yamlProblems.length) {
      problems.push(...yamlProblems);
      continue;
    }
    const parsed = LexiconFileSchema.safeParse(source.data() ?? {});
    if (!parsed.success) {
      problems.push(
        ...zodProblems(source, parsed.error, (issue) =>
          issue.code === 'invalid_key'
            ? 'a concept id is in capitals, e.g. PAY or EMPLOYER'
            : 'a lexicon has spellings (form: word), words (word: [variants]), concepts (ID: [words]), stop, question_cues and out_of_scope',
        ),
      );
      continue;
    }
    files[lang] = parsed.data;
    problems.push(...duplicateProblems(source, parsed.data), ...stemProblems(source, parsed.data, lang));
  }
  return { files, problems };
}

/** A word listed under two concepts would land in whichever comes last: say so, at the second place. */
function duplicateProblems(source: YamlSource, file: LexiconFile): Problem[] {
  const out: Problem[] = [];
  for (const key of ['concepts', 'out_of_scope', 'words'] as const) {
    const seen = new Map<string, string>();
    for (const [id, words] of Object.entries(file[key])) {
      words.forEach((w, i) => {
        const f = fold(w);
        const before = seen.get(f);
        if (before !== undefined && before !== id)
          out.push(
            source.problem(
              [key, id, i],
              'lexicon.duplicate',
              `"${w}" is listed under both ${before} and ${id}`,
              'keep it under one of them',
            ),
          );
        else seen.set(f, id);
      });
    }
  }
  return out;
}

/**
 * Search reads a word by its stem, so two words that stem alike under two concepts ("record" and
 * "recording") are one word, and the later concept silently takes both: say so, at the later one.
 */
function stemProblems(source: YamlSource, file: LexiconFile, lang: Lang): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, { id: string; word: string }>();
  for (const key of ['concepts', 'out_of_scope'] as const)
    for (const [id, words] of Object.entries(file[key]))
      words.forEach((w, i) => {
        const f = fold(w);
        if (f.includes(' ')) return;
        const s = stem(f, lang);
        const before = seen.get(s);
        const concept = key === 'out_of_scope' ? `${id} (out of scope)` : id;
        if (before && before.id !== concept && before.word !== f)
          out.push(
            source.problem(
              [key, id, i],
              'lexicon.same-stem',
              `"${w}" and "${before.word}" read alike ("${s}"): search takes both as ${concept}, never as ${before.id}`,
              'keep words that read alike under one concept, or write this one as a phrase of two words ("voice recording")',
              'warning',
            ),
          );
        seen.set(s, { id: concept, word: f });
      });
  return out;
}

let repoLexicon: Record<Lang, LexiconFile> | undefined;

/** The repository's own lexicon, for callers that are not given the content's. */
export function defaultLexiconFiles(): Record<Lang, LexiconFile> {
  repoLexicon ??= loadLexiconDir(join(ROOT, 'data', 'lexicon'), ROOT).files;
  return repoLexicon;
}
