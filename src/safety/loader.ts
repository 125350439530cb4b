import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Problem } from '../content/problems.js';
import { YamlSource, zodProblems } from '../content/yaml.js';
import { COMMANDS } from '../engine/context.js';
import type { Locales } from '../i18n/locales.js';
import { LANG_NAMES, LANGS, type Lang } from '../text/lang.js';
import { type SafetyFile, SafetyFileSchema } from './schema.js';
import { readPhrases, Triage } from './triage.js';

export type LoadedSafety = { safety: SafetyFile; problems: Problem[] };

const EMPTY: SafetyFile = { not_danger: { es: [], en: [], ht: [] }, categories: {} };

/**
 * Reads data/safety.yaml and reports, at its line, every phrase that can never match once it
 * is normalised: a phrase must keep two words, a cry one. Without the file no message is
 * checked for danger, so a missing file is an error.
 */
export function loadSafety(path: string, root = process.cwd()): LoadedSafety {
  const shown = relative(root, path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {
      safety: EMPTY,
      problems: [
        {
          severity: 'error',
          file: shown,
          line: 1,
          column: 1,
          code: 'safety.missing',
          message: 'the danger phrases file is missing: without it no message is checked for danger',
          hint: 'restore data/safety.yaml from the repository',
        },
      ],
    };
  }
  const { source, problems } = YamlSource.parse(shown, text);
  if (problems.length) return { safety: EMPTY, problems };
  const parsed = SafetyFileSchema.safeParse(source.data());
  if (!parsed.success) {
    return {
      safety: EMPTY,
      problems: zodProblems(
        source,
        parsed.error,
        () => 'each category has es, en and ht lists of phrases; see the comment at the top of the file',
      ),
    };
  }
  return { safety: parsed.data, problems: phraseProblems(parsed.data, source) };
}

function phraseProblems(file: SafetyFile, source: YamlSource): Problem[] {
  const problems: Problem[] = [];
  const triage = new Triage(readPhrases(file));
  const index = new Map<string, number>();
  for (const p of readPhrases(file)) {
    const key = `${p.category}\u0000${p.lang}`;
    const i = index.get(key) ?? 0;
    index.set(key, i + 1);
    const path = p.category === null ? ['not_danger', p.lang, i] : ['categories', p.category, p.lang, i];
    const shownWords = p.words.length ? `"${p.words.join(' ')}"` : 'nothing';
    if (p.category === null) {
      if (p.words.length < 2) {
        problems.push(
          source.problem(
            path,
            'safety.saying',
            `"${p.text}" reads as ${shownWords}: a saying set aside needs two words or more, or it would hide real danger`,
            'write the whole saying, e.g. "se me pegó el covid"',
          ),
        );
      }
      continue;
    }
    if (!p.whole && p.words.length < 2) {
      problems.push(
        source.problem(
          path,
          'safety.phrase',
          `the phrase "${p.text}" can never match: it reads as ${shownWords}, and a phrase needs two words or more`,
          'write the words around it as people type them (e.g. "me pegan", not "pegan"), or put a cry under a category with whole_message: true',
        ),
      );
      continue;
    }
    if (p.whole && !p.words.length) {
      problems.push(
        source.problem(
          path,
          'safety.phrase',
          `the cry "${p.text}" can never match: no word is left once it is read`,
          'write it with letters, as people type it',
        ),
      );
      continue;
    }
    if (triage.matchIn(p.lang, p.text) === null) {
      problems.push(
        source.problem(
          path,
          'safety.phrase',
          `the phrase "${p.text}" can never match: read as ${shownWords}, it does not match itself (a saying under not_danger may hide it)`,
          'rewrite it with the words as people type them, or narrow the saying that hides it',
        ),
      );
    }
  }
  for (const [category, c] of Object.entries(file.categories)) {
    for (const lang of LANGS) {
      if (!c[lang].length) {
        problems.push(
          source.problem(
            ['categories', category],
            `safety.empty.${lang}`,
            `the category "${category}" has no ${LANG_NAMES[lang]} (${lang}) phrases: danger written in ${LANG_NAMES[lang]} is not recognised`,
            `add a "${lang}:" list of phrases as people type them`,
          ),
        );
      }
    }
  }
  return problems;
}

/**
 * Command words that a danger phrase catches first: triage runs before every command but the
 * data-deletion ones, so such a word would always get the emergency card.
 */
export function caughtCommands(locales: Locales, triage: Triage, fileOf: (lang: Lang) => string): Problem[] {
  const problems: Problem[] = [];
  for (const lang of LANGS) {
    const words = locales[lang].common?.commands;
    if (!words || typeof words !== 'object' || Array.isArray(words)) continue;
    for (const command of COMMANDS) {
      if (command === 'stop' || command === 'exit') continue;
      const list = words[command];
      if (!Array.isArray(list)) continue;
      for (const word of list) {
        const danger = triage.match(word, lang);
        if (!danger) continue;
        problems.push({
          severity: 'warning',
          file: fileOf(lang),
          line: 1,
          column: 1,
          code: 'safety.command',
          message: `the "${command}" word "${word}" is also a danger phrase (${danger.category}) in data/safety.yaml, so it always gets the emergency card`,
          hint: 'remove the word from one of the two lists',
        });
      }
    }
  }
  return problems;
}
