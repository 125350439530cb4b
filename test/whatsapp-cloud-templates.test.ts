import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildTemplateMessage,
  loadTemplates,
  TemplateError,
  type TemplatesFile,
} from '../src/channels/whatsapp-cloud/templates.js';
import { contentPaths, ROOT } from '../src/config/env.js';
import { checkContent } from '../src/content/check.js';
import { formatProblem } from '../src/content/problems.js';
import { cli } from './support/cli.js';
import { copyContent } from './support/content-dir.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Leaves out what `cli check` says about reviews and unconfirmed contacts: work for staff, not mistakes. */
const STATUS = /^(review\.|contacts\.unverified$)/;
const mistakes = <T extends { code: string }>(problems: T[]): T[] =>
  problems.filter((p) => !STATUS.test(p.code));

function contentWith(templates: string | null): string {
  const dir = copyContent();
  dirs.push(dir);
  const path = join(dir, 'data', 'templates.yaml');
  if (templates === null) unlinkSync(path);
  else writeFileSync(path, templates);
  return dir;
}

describe('data/templates.yaml', () => {
  it('ships templates for late replies and news, in the three languages', () => {
    const { templates, problems } = loadTemplates(join(ROOT, 'data', 'templates.yaml'), ROOT);
    expect(problems).toEqual([]);
    expect(Object.keys(templates.templates)).toEqual(expect.arrayContaining(['reply_waiting', 'update']));
    for (const t of Object.values(templates.templates)) {
      expect(Object.keys(t.languages).sort()).toEqual(['en', 'es', 'ht']);
    }
  });

  it('is optional: without it there are no templates and no problem', () => {
    const dir = contentWith(null);
    const report = checkContent(contentPaths(dir));
    expect(mistakes(report.problems)).toEqual([]);
  });

  it('reports mistakes at their line through cli check, with a fix, and exits 1', () => {
    const dir = contentWith(
      [
        'templates:',
        '  reply_waiting:',
        '    name: Puente Reply',
        '    languages: { es: es, en: english, ht: fr }',
        '    parameters: [topic]',
        '    text:',
        '      es: "Hola {{1}}"',
        '      en: "Hello"',
        '      ht: "Bonjou {{1}} {{2}}"',
      ].join('\n'),
    );
    const r = cli(['check', '--json'], '', { CONTENT_DIR: dir });
    expect(r.status).toBe(1);
    const report = r.lines[0] as {
      problems: Array<{ file: string; line: number; code: string; hint?: string }>;
    };
    const at = (code: string) => report.problems.filter((p) => p.code === code).map((p) => p.line);
    expect(mistakes(report.problems).every((p) => p.file === 'data/templates.yaml' && p.hint)).toBe(true);
    expect(at('schema.invalid_format').sort()).toEqual([3, 4]);

    // Right names and codes: now the placeholders are checked against the parameters.
    const dir2 = contentWith(
      [
        'templates:',
        '  reply_waiting:',
        '    name: puente_reply',
        '    languages: { es: es, en: en }',
        '    parameters: [topic]',
        '    text:',
        '      es: "Hola {{1}}"',
        '      en: "Hello"',
        '      ht: "Bonjou {{1}} {{2}}"',
      ].join('\n'),
    );
    const report2 = checkContent(contentPaths(dir2));
    const lines = mistakes(report2.problems).map(formatProblem);
    expect(mistakes(report2.problems).map((p) => [p.code, p.severity, p.line])).toEqual([
      ['template.language', 'warning', 4],
      ['template.parameters', 'error', 8],
      ['template.parameters', 'error', 9],
    ]);
    expect(lines[0]).toMatch(/no ht language code: those readers get it in es/);
    expect(lines[1]).toMatch(
      /^data\/templates\.yaml:8:\d+ error: the en text of "reply_waiting" uses no placeholder/,
    );
  });

  it('refuses unknown keys and broken YAML', () => {
    const typo = checkContent(
      contentPaths(contentWith('templates:\n  update:\n    name: puente_update\n    langs: { es: es }\n')),
    );
    expect(typo.problems.map((p) => p.message).join('\n')).toMatch(/unknown key\(s\): langs/);
    const broken = checkContent(contentPaths(contentWith('templates:\n  update:\n  name: [\n')));
    expect(broken.ok).toBe(false);
    expect(mistakes(broken.problems)[0]!.code).toBe('yaml');
  });
});

describe('template messages', () => {
  const file: TemplatesFile = {
    templates: {
      update: { name: 'puente_update', languages: { es: 'es', en: 'en_US' }, parameters: ['topic', 'place'] },
      hello: { name: 'puente_hello', languages: { ht: 'fr' }, parameters: [] },
    },
  };

  it("fills the parameters in order, in the reader's language or the next one", () => {
    expect(
      buildTemplateMessage(file, 'update', 'en', { place: 'Tapachula', topic: 'work\t\n papers' }),
    ).toEqual({
      type: 'template',
      template: {
        name: 'puente_update',
        language: { code: 'en_US' },
        components: [
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'work papers' },
              { type: 'text', text: 'Tapachula' },
            ],
          },
        ],
      },
    });
    expect(buildTemplateMessage(file, 'update', 'ht', { place: 'a', topic: 'b' }).template.language).toEqual({
      code: 'es',
    });
    expect(buildTemplateMessage(file, 'hello', 'es')).toEqual({
      type: 'template',
      template: { name: 'puente_hello', language: { code: 'fr' } },
    });
  });

  it('refuses a missing template or parameter', () => {
    expect(() => buildTemplateMessage(file, 'nope', 'es')).toThrow(TemplateError);
    expect(() => buildTemplateMessage(file, 'update', 'es', { topic: 'x' })).toThrow(
      /needs a value for "place"/,
    );
    expect(() => buildTemplateMessage(file, 'update', 'es', { topic: 'x', place: '  ' })).toThrow(
      TemplateError,
    );
  });
});
