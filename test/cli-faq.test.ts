import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

type Search = {
  query: string;
  lang: string;
  answered: boolean;
  results: Array<{ id: string; score: number; title: string }>;
};

describe('cli faq (held-out checks use this contract)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puente-faqcli-'));
  const env = { DB_PATH: join(dir, 'faq.db'), SECRET_KEY_FILE: join(dir, 'secret.key') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('faq search --json prints one line with exactly query, lang, answered and results', () => {
    const r = cli(['faq', 'search', '--lang', 'es', '--json', 'mi patron no me paga'], '', env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(1);
    const out = r.lines[0] as Search;
    expect(Object.keys(out)).toEqual(['query', 'lang', 'answered', 'results']);
    expect(out).toMatchObject({ query: 'mi patron no me paga', lang: 'es', answered: true });
    expect(out.results[0]?.id).toBe('labor.unpaid-wages');
    expect(out.results.length).toBeLessThanOrEqual(5);
    for (const x of out.results) expect(Object.keys(x)).toEqual(['id', 'score', 'title']);
    const scores = out.results.map((x) => x.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('reads one query per line from stdin, in order, in one process; auto says which language it used', () => {
    const r = cli(
      ['faq', 'search', '--lang', 'auto', '--json'],
      'patwon an pa peye m\nwhere can i get vaccinated without papers\n😀\nquien gana el partido hoy\n',
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    const out = r.lines as Search[];
    expect(out.map((o) => o.query)).toEqual([
      'patwon an pa peye m',
      'where can i get vaccinated without papers',
      '😀',
      'quien gana el partido hoy',
    ]);
    expect(out[0]).toMatchObject({ lang: 'ht', answered: true });
    expect(out[0]!.results[0]!.id).toBe('labor.unpaid-wages');
    expect(out[1]).toMatchObject({ lang: 'en', answered: true });
    expect(out[1]!.results[0]!.id).toBe('covid.vaccine');
    expect(out[2]).toMatchObject({ answered: false, results: [] });
    expect(out[3]!.answered).toBe(false);
  });

  it('lists, shows and checks entries', () => {
    const list = cli(['faq', 'list', '--lang', 'ht'], '', env);
    expect(list.status).toBe(0);
    expect(list.stdout.trim().split('\n')).toHaveLength(28);
    const show = cli(['faq', 'show', 'trafficking.get-help', '--lang', 'ht', '--json'], '', env);
    expect(show.status).toBe(0);
    expect((show.lines[0] as { ht: { title: string } }).ht.title).toBeTruthy();
    const missing = cli(['faq', 'show', 'no.such'], '', env);
    expect(missing.status).toBe(1);
    const check = cli(['faq', 'check'], '', env);
    expect(check.status, check.stdout).toBe(0);
    expect(check.stdout).toContain('28 entries');
    const imported = cli(['faq', 'import'], '', env);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('28 unchanged');
  });
});
