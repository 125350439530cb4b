import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentPaths, ROOT } from '../src/config/env.js';
import { checkContent } from '../src/content/check.js';
import { loadTopics, topicList, topicOfFaq } from '../src/subscriptions/topics.js';
import { copyContent } from './support/content-dir.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function contentWith(topics: string): string {
  const dir = copyContent();
  dirs.push(dir);
  writeFileSync(join(dir, 'data', 'topics.yaml'), topics);
  return dir;
}

describe('data/topics.yaml', () => {
  it('ships the five topics with names in es, en and ht, offered after their answers', () => {
    const { topics, problems } = loadTopics(
      join(ROOT, 'data', 'topics.yaml'),
      ROOT,
      new Set(['covid.vaccine']),
    );
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const list = topicList(topics);
    expect(list.map((t) => t.id)).toEqual(['covid', 'labour', 'trafficking', 'papers', 'courses']);
    for (const t of list)
      for (const lang of ['es', 'en', 'ht'] as const) expect(t.name[lang].length).toBeGreaterThan(0);
    expect(topicOfFaq(list, 'covid.vaccine')).toBe('covid');
    expect(topicOfFaq(list, 'labor.unpaid-wages')).toBe('labour');
    expect(topicOfFaq(list, 'help.about')).toBeNull();
  });

  it('a mistake is an error at its line through cli check; a topic staff add is served', () => {
    const dir = contentWith(
      [
        'topics:',
        '  covid:',
        '    name: { es: "COVID-19", en: "COVID-19" }',
        '    faq: [covid.]',
        '  Health Fair:',
        '    name: { es: "Feria", en: "Fair", ht: "Fwa" }',
        '',
      ].join('\n'),
    );
    const errors = checkContent(contentPaths(dir)).problems.filter((p) => p.severity === 'error');
    expect(errors.map((p) => [p.file, p.line])).toEqual(
      expect.arrayContaining([
        ['data/topics.yaml', 3],
        ['data/topics.yaml', 5],
      ]),
    );
    const added = contentWith(
      [
        'topics:',
        '  health-fair:',
        '    name: { es: "ferias de salud", en: "health fairs", ht: "fwa sante" }',
        '    faq: [health.]',
        '',
      ].join('\n'),
    );
    const report = checkContent(contentPaths(added));
    expect(report.problems.filter((p) => p.file === 'data/topics.yaml')).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('warns at its line about an FAQ beginning no answer has', () => {
    const dir = contentWith('topics:\n  covid:\n    name: { es: a, en: b, ht: c }\n    faq: [vacunas.]\n');
    const warnings = checkContent(contentPaths(dir)).problems.filter((p) => p.code === 'topic.faq');
    expect(warnings).toEqual([
      expect.objectContaining({ severity: 'warning', file: 'data/topics.yaml', line: 4 }),
    ]);
  });
});
