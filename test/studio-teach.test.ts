import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/env.js';
import { questionId } from '../src/faq/teach.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { createStudio, type Studio } from '../src/studio/server.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';
import { freshSchema } from './support/postgres.js';

type Unanswered = { query: string; lang: string; count: number; id: string; taught: string | null };
type ReportBody = { database: boolean; sections: Record<string, Array<Record<string, unknown>>> };

const TOKEN = 'teach-token';
const ENTRY = 'labor.unpaid-wages';

/** The studio as a browser on its own page drives it: the token header, and its own Origin. */
function client(studio: Studio) {
  const origin = 'http://studio.example:8090';
  const headers = { 'x-studio-token': TOKEN, host: 'studio.example:8090' };
  return {
    report: async () =>
      (await (
        await studio.app.request('http://studio.example:8090/api/report', { headers })
      ).json()) as ReportBody,
    teach: (body: unknown, extra: Record<string, string> = { origin }) =>
      studio.app.request('http://studio.example:8090/api/teach', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { ...headers, 'content-type': 'application/json', ...extra },
      }),
  };
}

const unanswered = (r: ReportBody) => (r.sections.unanswered ?? []) as Unanswered[];

describe('teach from the studio report, on SQLite', () => {
  const QUESTION = 'el aguinaldo cuando lo dan';
  const content = copyContent();
  const file = join(content, 'data', 'faq', `${ENTRY}.yaml`);
  let h: Harness;
  let studio: Studio;

  beforeAll(async () => {
    h = new Harness({ CONTENT_DIR: content });
    await h.say('u', 'hola', 'es');
    await h.say('u', QUESTION, 'es');
    studio = createStudio(
      loadConfig(
        {
          CONTENT_DIR: content,
          DB_PATH: h.dbPath,
          STUDIO_HOST: '0.0.0.0',
          STUDIO_TOKEN: TOKEN,
          LOG_LEVEL: 'silent',
          HOT_RELOAD: '0',
        },
        false,
      ),
    );
  });
  afterAll(() => {
    studio.close();
    h.close();
    rmSync(content, { recursive: true, force: true });
  });

  it('gives each unanswered question the short id of report --unanswered, not yet taught', async () => {
    const row = unanswered(await client(studio).report()).find((u) => u.query === QUESTION);
    expect(row).toEqual({
      query: QUESTION,
      lang: 'es',
      count: 1,
      id: questionId('es', QUESTION),
      taught: null,
    });
  });

  it('refuses a request without the token, from another site, or that is not a question and an entry', async () => {
    const c = client(studio);
    const id = questionId('es', QUESTION);
    const before = readFileSync(file, 'utf8');
    const anonymous = await studio.app.request('http://studio.example:8090/api/teach', {
      method: 'POST',
      body: JSON.stringify({ question: id, entry: ENTRY }),
      headers: { 'content-type': 'application/json', origin: 'http://studio.example:8090' },
    });
    expect(anonymous.status).toBe(401);
    expect((await c.teach({ question: id, entry: ENTRY }, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await c.teach({ question: id })).status).toBe(400);
    expect((await c.teach({ question: '<script>', entry: ENTRY })).status).toBe(400);
    expect((await c.teach({ question: id, entry: '../../etc/passwd' })).status).toBe(400);
    const unknownQuestion = await c.teach({ question: 'fffffff', entry: ENTRY });
    expect(unknownQuestion.status).toBe(404);
    expect(((await unknownQuestion.json()) as { error: string }).error).toContain('fffffff');
    expect((await c.teach({ question: id, entry: 'labor.nope' })).status).toBe(404);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('adds the question to the entry, marked learned, and the report shows it taught', async () => {
    const c = client(studio);
    const id = questionId('es', QUESTION);
    const res = await c.teach({ question: id.slice(0, 5), entry: ENTRY });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      question: id,
      entry: ENTRY,
      lang: 'es',
      phrasing: QUESTION,
      added: true,
    });
    const yaml = parse(readFileSync(file, 'utf8'));
    expect(yaml.es.phrasings.at(-1)).toEqual({ text: QUESTION, learned: true });
    expect(unanswered(await c.report()).find((u) => u.query === QUESTION)?.taught).toBe(ENTRY);

    const again = await c.teach({ question: id, entry: ENTRY });
    expect(((await again.json()) as { added: boolean }).added).toBe(false);
    expect(
      parse(readFileSync(file, 'utf8')).es.phrasings.filter((p: unknown) =>
        JSON.stringify(p).includes(QUESTION),
      ),
    ).toHaveLength(1);
  });
});

describe('the studio report and teach through PostgreSQL (DATABASE_URL)', () => {
  const QUESTION = 'ki le yo bay aginaldo a';
  const content = copyContent();
  let drop: (() => Promise<void>) | undefined;
  let studio: Studio | undefined;

  afterAll(async () => {
    await studio?.close();
    await drop?.();
    rmSync(content, { recursive: true, force: true });
  });

  it('shows what the bot stored in PostgreSQL, and teaches it', async () => {
    const schema = await freshSchema();
    drop = schema.drop;
    const store = await PostgresStore.open(schema.url);
    for (let i = 0; i < 2; i++)
      await store.turn('k', () => ({
        result: null,
        writes: [
          { type: 'unanswered', lang: 'ht', query: QUESTION },
          {
            type: 'event',
            name: 'conversation_started',
            channel: 'telegram',
            lang: 'ht',
            campaign: 'radio-9',
            flow: null,
            faq: null,
          },
        ],
      }));
    await store.close();
    studio = createStudio(
      loadConfig(
        {
          CONTENT_DIR: content,
          DATABASE_URL: schema.url,
          DB_PATH: join(content, 'never-made.db'),
          STUDIO_HOST: '0.0.0.0',
          STUDIO_TOKEN: TOKEN,
          LOG_LEVEL: 'silent',
          HOT_RELOAD: '0',
        },
        false,
      ),
    );
    const c = client(studio);
    const report = await c.report();
    expect(report.database).toBe(true);
    expect(report.sections.campaigns).toEqual([{ campaign: 'radio-9', count: 2 }]);
    expect(report.sections.daily).toEqual([
      { day: new Date().toISOString().slice(0, 10), lang: 'ht', count: 2 },
    ]);
    expect(unanswered(report)).toEqual([
      { query: QUESTION, lang: 'ht', count: 2, id: questionId('ht', QUESTION), taught: null },
    ]);
    const csv = await (
      await studio.app.request('http://studio.example:8090/api/report.csv?section=unanswered', {
        headers: { 'x-studio-token': TOKEN },
      })
    ).text();
    expect(csv).toContain(`${QUESTION},ht,2`);

    const res = await c.teach({ question: questionId('ht', QUESTION), entry: ENTRY });
    expect(res.status).toBe(200);
    const yaml = parse(readFileSync(join(content, 'data', 'faq', `${ENTRY}.yaml`), 'utf8'));
    expect(yaml.ht.phrasings.at(-1)).toEqual({ text: QUESTION, learned: true });
    expect(unanswered(await c.report())[0]?.taught).toBe(ENTRY);
  });
});

describe('the studio report when PostgreSQL cannot be reached', () => {
  it('answers 503 with what is wrong, never the URL and its password', async () => {
    const studio = createStudio(
      loadConfig(
        {
          DATABASE_URL: 'postgres://staff:pw-s3cret@127.0.0.1:1/puente',
          LOG_LEVEL: 'silent',
          HOT_RELOAD: '0',
        },
        false,
      ),
    );
    try {
      const res = await studio.app.request('/api/report');
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: string };
      expect(body.error).toContain('127.0.0.1:1');
      expect(body.error).not.toContain('pw-s3cret');
      const teach = await studio.app.request('/api/teach', {
        method: 'POST',
        body: JSON.stringify({ question: 'abcdef1', entry: ENTRY }),
        headers: { 'content-type': 'application/json' },
      });
      expect(teach.status).toBe(503);
    } finally {
      await studio.close();
    }
  });
});
