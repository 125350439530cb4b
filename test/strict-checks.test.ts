import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { contentPaths } from '../src/config/env.js';
import { checkContent } from '../src/content/check.js';
import { formatProblem, type Problem } from '../src/content/problems.js';
import { COMMON_KEYS } from '../src/i18n/keys.js';
import { LANGS } from '../src/text/lang.js';
import { cli } from './support/cli.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';

const STRICT = join(import.meta.dirname, 'fixtures', 'strict');

describe('stricter content checks', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A copy of the content with fixtures dropped in: [fixture, where in the content]. */
  function contentWith(...files: Array<[string, string]>): string {
    const dir = copyContent();
    dirs.push(dir);
    for (const [from, to] of files) cpSync(join(STRICT, from), join(dir, to), { recursive: true });
    return dir;
  }
  const errorsOf = (dir: string): Problem[] =>
    checkContent(contentPaths(dir)).problems.filter((p) => p.severity === 'error');

  it('refuses steps that lead into each other across flows without waiting for the user', () => {
    const dir = contentWith(['cycle-a.yaml', 'flows/cycle-a.yaml'], ['cycle-b.yaml', 'flows/cycle-b.yaml']);
    const errors = errorsOf(dir);
    expect(errors.map((p) => p.code)).toEqual(['flow.cycle']);
    expect(formatProblem(errors[0]!)).toMatch(
      /^flows\/cycle-a.yaml:5:3 error: .*send messages forever: hello → over → cycle-b:again → cycle-b:back → hello\n {2}fix: make one of them wait for the user/,
    );
    expect(() => new Harness({ CONTENT_DIR: dir })).toThrow(/flow.cycle|send messages forever/);
  });

  it('lets a loop through a step that waits for the user pass', () => {
    // The shipped emergency flow goes choose → show → after → choose, with menus between.
    const errors = errorsOf(contentWith());
    expect(errors).toEqual([]);
  });

  it('refuses a file that is not valid UTF-8, naming its file and line', () => {
    const dir = contentWith(['bad-utf8.yaml', 'flows/bad-utf8.yaml']);
    const p = errorsOf(dir).find((x) => x.code === 'encoding.utf8');
    expect(p, errorsOf(dir).map(formatProblem).join('\n')).toMatchObject({
      file: 'flows/bad-utf8.yaml',
      line: 7,
    });
    expect(p!.message).toContain('Est');
    expect(p!.hint).toContain('UTF-8');
  });

  it('finds bad UTF-8 in any content file, a locale file too', () => {
    const dir = contentWith();
    const file = join(dir, 'locales', 'ht', 'common.json');
    const text = readFileSync(file);
    const at = text.indexOf('"faq": {');
    // "ò" written as a single Windows-1252 byte in the middle of the file.
    const broken = Buffer.concat([
      text.subarray(0, at),
      Buffer.from([0x22, 0x78, 0xf2, 0x22, 0x3a, 0x22, 0x22, 0x2c]),
      text.subarray(at),
    ]);
    writeFileSync(file, broken);
    const p = errorsOf(dir).find((x) => x.code === 'encoding.utf8');
    expect(p).toMatchObject({ file: 'locales/ht/common.json' });
    expect(p!.line).toBe(text.subarray(0, at).toString().split('\n').length);
  });

  it('refuses a locale key that the code uses when no language has it', () => {
    const dir = contentWith();
    const { delete: keys } = parseYaml(readFileSync(join(STRICT, 'missing-key.yaml'), 'utf8')) as {
      delete: string[];
    };
    for (const lang of LANGS) {
      const file = join(dir, 'locales', lang, 'common.json');
      const data = JSON.parse(readFileSync(file, 'utf8'));
      for (const key of keys) {
        const path = key.split('.');
        const parent = path.slice(0, -1).reduce((node, k) => node[k], data);
        delete parent[path.at(-1)!];
      }
      writeFileSync(file, JSON.stringify(data, null, 2));
    }
    const errors = errorsOf(dir);
    for (const lang of LANGS) {
      const p = errors.find(
        (x) => x.file === `locales/${lang}/common.json` && x.message.includes('"faq.unknown"'),
      );
      expect(p, errors.map(formatProblem).join('\n')).toMatchObject({ code: `string.missing.${lang}` });
      expect(p!.message).toContain('the bot uses it');
    }
    // Nothing else is wrong with these files: no error but missing strings.
    expect(errors.filter((p) => !p.code.startsWith('string.missing.'))).toEqual([]);
    const r = cli(['check'], '', { CONTENT_DIR: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/locales\/ht\/common.json:\d+:\d+ error: .*"faq.unknown" is missing/);
  });

  it('keeps the list of keys the code uses in step with the shipped locales', () => {
    for (const lang of LANGS) {
      const data = JSON.parse(
        readFileSync(join(import.meta.dirname, '..', 'locales', lang, 'common.json'), 'utf8'),
      );
      for (const key of COMMON_KEYS) {
        const value = key
          .split('.')
          .reduce<unknown>((node, k) => (node as Record<string, unknown>)?.[k], data);
        expect(typeof value, `${lang} ${key}`).toBe('string');
      }
    }
  });

  it('refuses an FAQ entry missing a language', () => {
    const dir = contentWith(['test.missing-ht.yaml', 'data/faq/test.missing-ht.yaml']);
    const errors = errorsOf(dir);
    expect(errors.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^data\/faq\/test.missing-ht.yaml:2:1 error: the Haitian Creole \(ht\) version is missing/,
      ),
    ]);
    expect(checkContent(contentPaths(dir)).missingStrings).toEqual({ es: 0, en: 0, ht: 1 });
  });

  it('reports a broken flow in its own file only, not as a missing flow elsewhere', () => {
    const dir = contentWith(['labor.yaml', 'flows/labor.yaml']);
    const errors = errorsOf(dir);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.map((p) => p.file)).toEqual(errors.map(() => 'flows/labor.yaml'));
    expect(errors.map(formatProblem).join('\n')).not.toMatch(/no flow "labor"/);
  });

  it('reports a broken FAQ file in its own file only, not as a missing entry in flows or related lists', () => {
    const dir = contentWith(['covid.vaccine.yaml', 'data/faq/covid.vaccine.yaml']);
    const errors = errorsOf(dir);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((p) => p.file))).toEqual(new Set(['data/faq/covid.vaccine.yaml']));
  });
});
