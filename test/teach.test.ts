import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadFaqDir } from '../src/faq/loader.js';
import { questionId, teach } from '../src/faq/teach.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { cli } from './support/cli.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';
import { freshSchema } from './support/postgres.js';

const QUESTION = 'el aguinaldo cuando lo dan';

describe('the teach loop: report --unanswered, faq teach, check warns until reviewed', () => {
  const dir = copyContent();
  // The database lives beside the content copy: the harness removes its own folder when it closes.
  const env = { CONTENT_DIR: dir, DB_PATH: join(dir, 'teach.db'), SECRET_KEY_FILE: join(dir, 'secret.key') };
  const h = new Harness(env);
  const file = join(dir, 'data', 'faq', 'labor.unpaid-wages.yaml');
  afterAll(() => {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the unanswered question with a short id, teaches it, and then answers it', async () => {
    await h.say('u', 'hola', 'es');
    await h.say('u', QUESTION, 'es');
    expect(h.app.bot.current.searcher.search(QUESTION, 'es').answered).toBe(false);
    h.close();
    writeFileSync(file, `# Reviewed by the labour team.\n${readFileSync(file, 'utf8')}`);

    const listed = cli(['report', '--unanswered', '--json'], '', env);
    expect(listed.status, listed.stderr).toBe(0);
    const questions = listed.lines[0] as Array<{ id: string; lang: string; query: string; count: number }>;
    const q = questions.find((x) => x.query === QUESTION);
    expect(q).toMatchObject({ lang: 'es', count: 1, id: questionId('es', QUESTION) });
    expect(q!.id).toMatch(/^[0-9a-f]{7}$/);
    const text = cli(['report', '--unanswered'], '', env);
    expect(text.stdout).toContain(`${q!.id}      1  [es] ${QUESTION}`);

    const taught = cli(['faq', 'teach', q!.id, 'labor.unpaid-wages'], '', env);
    expect(taught.status, taught.stderr).toBe(0);
    const yaml = readFileSync(file, 'utf8');
    expect(yaml.startsWith('# Reviewed by the labour team.\n')).toBe(true);
    expect(yaml).toMatch(new RegExp(`\\n    - \\{ ?text: ${QUESTION}, learned: true ?\\}\\n`));
    expect(parse(yaml).es.phrasings.at(-1)).toEqual({ text: QUESTION, learned: true });

    const check = cli(['check', '--json'], '', env);
    const report = check.lines[0] as {
      ok: boolean;
      problems: Array<{ code: string; file: string; line: number; severity: string }>;
    };
    expect(report.ok).toBe(true);
    const learned = report.problems.filter((p) => p.code === 'faq.learned');
    expect(learned).toHaveLength(1);
    const line = yaml.split('\n').findIndex((l) => l.includes(QUESTION)) + 1;
    expect(learned[0]).toMatchObject({ file: 'data/faq/labor.unpaid-wages.yaml', line, severity: 'warning' });

    const search = cli(['faq', 'search', '--lang', 'es', '--json', QUESTION], '', env);
    expect(search.lines[0]).toMatchObject({ answered: true, results: [{ id: 'labor.unpaid-wages' }] });
  });

  it('stops warning once a reviewer removes the mark; teaching twice adds nothing', () => {
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\{ ?text: (.*), learned: true ?\}/, '$1'));
    expect(
      loadFaqDir(join(dir, 'data', 'faq'), dir).problems.filter((p) => p.code === 'faq.learned'),
    ).toEqual([]);
    expect(teach(join(dir, 'data', 'faq'), 'labor.unpaid-wages', 'es', QUESTION).added).toBe(false);
  });

  it('refuses an unknown question id or entry, saying what to do', () => {
    const r = cli(['faq', 'teach', 'fffffff', 'labor.unpaid-wages'], '', env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/report --unanswered/);
    expect(() => teach(join(dir, 'data', 'faq'), 'labor.nope', 'es', 'x')).toThrow(/faq list/);
  });
});

describe('the teach loop on PostgreSQL: report --unanswered and faq teach read the configured store', () => {
  const dir = copyContent();
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists a question stored in PostgreSQL and teaches it', async () => {
    const schema = await freshSchema();
    drop = schema.drop;
    const store = await PostgresStore.open(schema.url);
    const question = 'ki le yo bay aginaldo a';
    await store.turn('k', () => ({
      result: null,
      writes: [{ type: 'unanswered', lang: 'ht', query: question }],
    }));
    await store.turn('k', () => ({
      result: null,
      writes: [{ type: 'unanswered', lang: 'ht', query: question }],
    }));
    await store.close();
    const env = {
      CONTENT_DIR: dir,
      DATABASE_URL: schema.url,
      DB_PATH: join(dir, 'unused.db'),
      SECRET_KEY_FILE: join(dir, 'secret.key'),
    };
    const listed = cli(['report', '--unanswered', '--json'], '', env);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.lines[0]).toEqual([
      expect.objectContaining({ id: questionId('ht', question), lang: 'ht', query: question, count: 2 }),
    ]);
    const taught = cli(['faq', 'teach', questionId('ht', question), 'labor.unpaid-wages', '--json'], '', env);
    expect(taught.status, taught.stderr).toBe(0);
    expect(taught.lines[0]).toMatchObject({ lang: 'ht', added: true });
    const yaml = parse(readFileSync(join(dir, 'data', 'faq', 'labor.unpaid-wages.yaml'), 'utf8'));
    expect(yaml.ht.phrasings.at(-1)).toEqual({ text: question, learned: true });
  });
});
