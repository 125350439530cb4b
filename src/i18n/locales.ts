import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import type { Problem } from '../content/problems.js';
import { type Review, ReviewSchema } from '../content/review-schema.js';
import { YamlSource } from '../content/yaml.js';
import { COMMANDS } from '../engine/context.js';
import { LANG_NAMES, LANGS, type Lang } from '../text/lang.js';
import { COMMON_KEYS } from './keys.js';

/** A locale namespace is nested objects of strings; `commands` holds lists of words. */
type Tree = { [key: string]: string | string[] | Tree };
const TreeSchema: z.ZodType<Tree> = z.lazy(() =>
  z.record(z.string(), z.union([z.string(), z.array(z.string()), TreeSchema])),
);

export const CommandWordsSchema = z.strictObject(
  Object.fromEntries(COMMANDS.map((c) => [c, z.array(z.string().min(1))])),
);

export type Locales = Record<Lang, Record<string, Tree>>;
/** The review of each locale file, by language and namespace. */
export type LocaleReviews = Record<Lang, Record<string, Review>>;

/**
 * A locale file may record its review in a top-level "_reviewed" key. It is not a string the
 * bot shows, so it is taken out before the strings are compared or handed to i18next.
 */
export const LOCALE_REVIEW_KEY = '_reviewed';

export type LoadedLocales = { locales: Locales; reviews: LocaleReviews; problems: Problem[] };

/**
 * Reads locales/<lang>/<namespace>.json, and reports keys missing in any language and keys the
 * code uses (COMMON_KEYS) that a language lacks.
 */
export function loadLocales(dir: string, root = process.cwd()): LoadedLocales {
  const locales = Object.fromEntries(LANGS.map((l) => [l, {}])) as Locales;
  const reviews = Object.fromEntries(LANGS.map((l) => [l, {}])) as LocaleReviews;
  const texts = new Map<string, string>();
  const problems: Problem[] = [];
  for (const lang of LANGS) {
    let files: string[] = [];
    try {
      files = readdirSync(join(dir, lang)).filter((f) => f.endsWith('.json'));
    } catch {
      problems.push(
        problem(
          relative(root, join(dir, lang)),
          'locale.missing',
          `there is no ${LANG_NAMES[lang]} folder`,
          `create ${lang}/ with the same files as es/`,
        ),
      );
      continue;
    }
    for (const file of files) {
      const path = join(dir, lang, file);
      const shown = relative(root, path);
      const text = readFileSync(path, 'utf8');
      texts.set(shown, text);
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (e) {
        const pos = jsonErrorLine(text, e);
        problems.push({
          ...problem(
            shown,
            'json',
            `the JSON cannot be read: ${(e as Error).message}`,
            'check for a missing comma or quote, or a comma after the last item',
          ),
          ...pos,
        });
        continue;
      }
      const ns = file.replace(/\.json$/, '');
      if (data && typeof data === 'object' && !Array.isArray(data) && LOCALE_REVIEW_KEY in data) {
        const { [LOCALE_REVIEW_KEY]: review, ...strings } = data as Record<string, unknown>;
        data = strings;
        const r = ReviewSchema.safeParse(review);
        if (r.success) reviews[lang][ns] = r.data;
        else {
          problems.push({
            ...problem(
              shown,
              'review.shape',
              `"${LOCALE_REVIEW_KEY}" ${r.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`,
              `write it as "${LOCALE_REVIEW_KEY}": {"by": "name", "on": "2026-03-31", "source": "<fingerprint from cli content stale>"}`,
            ),
            ...locate(shown, texts.get(shown)!, [LOCALE_REVIEW_KEY]),
          });
        }
      }
      const parsed = TreeSchema.safeParse(data);
      if (!parsed.success) {
        problems.push(
          problem(
            shown,
            'locale.shape',
            'values must be texts, lists of texts, or groups of them',
            'wrap each text in double quotes',
          ),
        );
        continue;
      }
      locales[lang][ns] = parsed.data;
    }
  }
  const missing = compareKeys(locales, dir, root);
  problems.push(...missing, ...usedKeys(locales, dir, root, missing, texts));
  const cmd = locales.es.common?.commands;
  for (const lang of LANGS) {
    const words = CommandWordsSchema.safeParse(locales[lang].common?.commands ?? cmd);
    if (!words.success) {
      problems.push(
        problem(
          relative(root, join(dir, lang, 'common.json')),
          'locale.commands',
          `the "commands" group needs a list of words for each of: ${COMMANDS.join(', ')}`,
          'copy the "commands" group from es/common.json and translate the words',
        ),
      );
    }
  }
  return { locales, reviews, problems };
}

/** Keys the code uses must exist in every language, even when no language has them. */
function usedKeys(
  locales: Locales,
  dir: string,
  root: string,
  reported: Problem[],
  texts: Map<string, string>,
): Problem[] {
  const problems: Problem[] = [];
  for (const lang of LANGS) {
    const common = locales[lang].common;
    const file = relative(root, join(dir, lang, 'common.json'));
    // A file that could not be read has its own problem; listing every key again would bury it.
    if (!common && texts.has(file)) continue;
    for (const key of COMMON_KEYS) {
      if (typeof lookup(common ?? {}, key) === 'string') continue;
      if (reported.some((p) => p.file === file && p.message.includes(`"${key}"`))) continue;
      problems.push({
        ...problem(
          file,
          `string.missing.${lang}`,
          `the ${LANG_NAMES[lang]} text "${key}" is missing, and the bot uses it`,
          `add "${key}" to ${lang}/common.json; without it people would see the key itself`,
        ),
        ...locate(file, texts.get(file), key.split('.')),
      });
    }
  }
  return problems;
}

function lookup(tree: Tree, key: string): unknown {
  let node: unknown = tree;
  for (const part of key.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Tree)[part];
  }
  return node;
}

/** The line of a key in a JSON file, or of its nearest parent that exists. */
function locate(file: string, text: string | undefined, path: string[]): { line: number; column: number } {
  if (text === undefined) return { line: 1, column: 1 };
  const { source, problems } = YamlSource.parse(file, text);
  return problems.length ? { line: 1, column: 1 } : source.locate(path, true);
}

function compareKeys(locales: Locales, dir: string, root: string): Problem[] {
  const problems: Problem[] = [];
  const namespaces = new Set(LANGS.flatMap((l) => Object.keys(locales[l])));
  for (const ns of namespaces) {
    const keys = new Set(LANGS.flatMap((l) => leafKeys(locales[l][ns] ?? {})));
    for (const lang of LANGS) {
      const have = new Set(leafKeys(locales[lang][ns] ?? {}));
      for (const key of keys) {
        if (!have.has(key) && !key.startsWith('commands.')) {
          problems.push(
            problem(
              relative(root, join(dir, lang, `${ns}.json`)),
              `string.missing.${lang}`,
              `the ${LANG_NAMES[lang]} text "${key}" is missing`,
              `add "${key}" to ${lang}/${ns}.json, translated from es/${ns}.json`,
            ),
          );
        }
      }
    }
  }
  return problems;
}

export function leafKeys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    return typeof v === 'object' && !Array.isArray(v) ? leafKeys(v, key) : [key];
  });
}

function problem(file: string, code: string, message: string, hint: string): Problem {
  return { severity: 'error', file, line: 1, column: 1, code, message, hint };
}

function jsonErrorLine(text: string, e: unknown): { line: number; column: number } {
  const m = /position (\d+)/.exec(String((e as Error).message));
  if (!m) return { line: 1, column: 1 };
  const before = text.slice(0, Number(m[1]));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}
