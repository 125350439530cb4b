import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';

type Line = {
  text: string;
  options: Array<{ id: string; label: string }>;
  lang: string;
  flow: string | null;
  step: string | null;
  faq?: string;
};

describe('cli chat --json (the console contract)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puente-cli-'));
  const env = { DB_PATH: join(dir, 'chat.db'), SECRET_KEY_FILE: join(dir, 'secret.key') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON object per bot message with exactly the contract keys', () => {
    const r = cli(['chat', '--json', '--lang', 'en', '--user', 'alice'], 'hi\n1\n', env);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.lines as Line[];
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      expect(Object.keys(line).filter((k) => k !== 'faq')).toEqual([
        'text',
        'options',
        'lang',
        'flow',
        'step',
      ]);
      expect(typeof line.text).toBe('string');
      for (const o of line.options) expect(Object.keys(o)).toEqual(['id', 'label']);
    }
    expect(lines.at(-1)).toMatchObject({ lang: 'en', flow: 'labor', step: 'topics' });
  });

  it('keeps the state across runs: a new process continues where the user was', () => {
    const r = cli(['chat', '--json', '--user', 'alice'], '1\n', env);
    expect(r.status, r.stderr).toBe(0);
    expect((r.lines as Line[]).at(-1)).toMatchObject({ lang: 'en', faq: 'labor.unpaid-wages' });
  });

  it('starts from a deep-link payload in Creole', () => {
    const r = cli(['chat', '--json', '--user', 'bob', '--start', 'ht_covid_poster3'], '2\n', env);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.lines as Line[];
    expect(lines.find((l) => l.flow === 'covid' && l.step === 'topics')).toMatchObject({ lang: 'ht' });
    expect(lines.at(-1)).toMatchObject({ lang: 'ht', faq: 'covid.symptoms' });
  });

  it('deletes the user on stop and never stores the raw user id', () => {
    const r = cli(['chat', '--json', '--user', '+50937000000'], 'hola\nstop\n', env);
    expect(r.status, r.stderr).toBe(0);
    expect((r.lines as Line[]).at(-1)?.options).toEqual([]);
    const again = cli(['chat', '--json', '--user', '+50937000000', '--lang', 'es'], 'menu\n', env);
    expect((again.lines as Line[])[0]?.text).toMatch(/Hola, soy Puente/);
    const files = [env.DB_PATH, `${env.DB_PATH}-wal`].filter((f) => existsSync(f));
    const bytes = files.map((f) => readFileSync(f).toString('latin1')).join('');
    expect(bytes).not.toContain('50937000000');
    expect(bytes).not.toContain('alice');
  });

  it('refuses an unknown --lang with a clear message', () => {
    const r = cli(['chat', '--json', '--lang', 'fr'], '', env);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/es.*en.*ht/);
  });
});
