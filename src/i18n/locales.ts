import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import type { Problem } from '../content/problems.js';
import { COMMANDS } from '../engine/context.js';
import { LANG_NAMES, LANGS, type Lang } from '../text/lang.js';

/** A locale namespace is nested objects of strings; `commands` holds lists of words. */
type Tree = { [key: string]: string | string[] | Tree };
const TreeSchema: z.ZodType<Tree> = z.lazy(() =>
  z.record(z.string(), z.union([z.string(), z.array(z.string()), TreeSchema])),
);

export const CommandWordsSchema = z.strictObject(
  Object.fromEntries(COMMANDS.map((c) => [c, z.array(z.string().min(1))])),
);

export type Locales = Record<Lang, Record<string, Tree>>;

/** Reads locales/<lang>/<namespace>.json and reports keys missing in any language. */
export function loadLocales(dir: string, root = process.cwd()): { locales: Locales; problems: Problem[] } {
  const locales = Object.fromEntries(LANGS.map((l) => [l, {}])) as Locales;
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
      locales[lang][file.replace(/\.json$/, '')] = parsed.data;
    }
  }
  problems.push(...compareKeys(locales, dir, root));
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
  return { locales, problems };
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
