import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWaState } from '../src/channels/whatsapp/state.js';
import { loadConfig } from '../src/config/env.js';
import { questionId } from '../src/faq/teach.js';
import { conversationsPerDay, csvCell, rowsToCsv } from '../src/report/report.js';
import { Records } from '../src/store/sqlite/records.js';
import { faqColumns } from '../src/studio/columns.js';
import { createStudio, type Studio } from '../src/studio/server.js';
import { Harness } from './support/harness.js';

type ReportBody = {
  database: boolean;
  since: string;
  sections: Record<string, Array<Record<string, unknown>>>;
};

describe('the studio report, from the real database', () => {
  let h: Harness;
  let studio: Studio;
  const dbPath = () => join(h.dir, 'puente.db');
  const get = (path: string) => studio.app.request(path);
  const report = async (since = '30d') =>
    (await (await get(`/api/report?since=${since}`)).json()) as ReportBody;

  beforeAll(async () => {
    h = new Harness();
    // A scripted week: two campaigns, three languages, answers with feedback, questions without answers.
    await h.send('a', { start: 'ht_labor_leader-1' });
    await h.send('a', { text: '1' });
    await h.send('a', { text: '1' });
    await h.send('b', { start: 'ht_labor_leader-1' });
    await h.send('c', { start: 'es_covid_radio-2' });
    await h.send('d', { text: 'hola' }, { lang: 'es', sure: true }, 'whatsapp');
    await h.send('d', { text: 'quien gano el partido de futbol' }, undefined, 'whatsapp');
    await h.send('e', { text: 'hello' }, { lang: 'en', sure: true }, 'telegram');
    await h.send('e', { text: 'who won the football match' }, undefined, 'telegram');
    // A voice note: counted per day and language, nothing of it kept.
    await h.send(
      'e',
      { voice: { kind: 'voice', media: 'AwACAgEAAxkBAAIvoiceNOTKEPT' } },
      undefined,
      'telegram',
    );
    // Danger recognised: the emergency card, counted per day without the words.
    await h.send('f', { text: 'me estan golpeando' }, { lang: 'es', sure: true }, 'whatsapp');
    studio = createStudio(loadConfig({ DB_PATH: dbPath(), LOG_LEVEL: 'silent', HOT_RELOAD: '0' }, false));
  });
  afterAll(() => {
    studio.close();
    h.close();
  });

  it('has every section, counted from what the bot recorded', async () => {
    const r = await report();
    expect(r.database).toBe(true);
    expect(Object.keys(r.sections)).toEqual([
      'daily',
      'safety',
      'voice',
      'conversations',
      'campaigns',
      'flows',
      'faq',
      'unanswered',
    ]);
    const today = new Date().toISOString().slice(0, 10);
    expect(r.sections.daily).toEqual(
      expect.arrayContaining([
        { day: today, lang: 'ht', count: 2 },
        { day: today, lang: 'es', count: 3 },
        { day: today, lang: 'en', count: 1 },
      ]),
    );
    expect(r.sections.safety).toEqual([{ day: today, lang: 'es', count: 1 }]);
    expect(r.sections.voice).toEqual([{ day: today, lang: 'en', count: 1 }]);
    expect(JSON.stringify(r)).not.toContain('voiceNOTKEPT');
    expect(JSON.stringify(r)).not.toContain('golpeando');
    expect(r.sections.campaigns).toEqual([
      { campaign: 'leader-1', count: 2 },
      { campaign: 'radio-2', count: 1 },
    ]);
    expect(r.sections.faq![0]).toEqual({ id: 'labor.unpaid-wages', shown: 1, helpful: 1, notHelpful: 0 });
    expect(r.sections.unanswered).toEqual(
      expect.arrayContaining([
        {
          query: 'quien gano el partido de futbol',
          lang: 'es',
          count: 1,
          // The short id of cli report --unanswered, for "teach"; not taught to any entry yet.
          id: questionId('es', 'quien gano el partido de futbol'),
          taught: null,
        },
      ]),
    );
    expect(JSON.stringify(r)).not.toContain(h.app.bot.userKeyOf('console', 'a'));
  });

  it('is not changed by the chat preview, which has its own scratch database', async () => {
    const before = await report();
    const chat = await studio.app.request('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'preview', lang: 'es', text: 'una pregunta que nadie sabe responder' }),
    });
    expect(chat.status).toBe(200);
    expect((await report()).sections).toEqual(before.sections);
  });

  it('exports CSV: the whole report as the CLI writes it, or one section, with formulas defused', async () => {
    const all = await get('/api/report.csv?since=30d');
    expect(all.headers.get('content-type')).toContain('text/csv');
    expect(all.headers.get('content-disposition')).toMatch(/attachment; filename="puente-report-.*\.csv"/);
    expect((await all.text()).split('\n')[0]).toBe(
      'section,channel,lang,campaign,flow,faq,query,count,started,completed,helpful,not_helpful,day',
    );
    const unanswered = await (await get('/api/report.csv?section=unanswered')).text();
    const lines = unanswered.trim().split('\n');
    expect(lines[0]).toBe('query,lang,count');
    expect(lines).toContain('quien gano el partido de futbol,es,1');
    expect((await (await get('/api/report.csv?section=daily')).text()).split('\n')[0]).toBe('day,lang,count');
    expect((await get('/api/report.csv?section=nope')).status).toBe(404);
    expect((await get('/api/report?since=someday')).status).toBe(400);
  });

  it('says there is nothing yet when the bot has no database, and does not create one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'puente-nodb-'));
    const path = join(dir, 'missing.db');
    const empty = createStudio(loadConfig({ DB_PATH: path, LOG_LEVEL: 'silent', HOT_RELOAD: '0' }, false));
    try {
      const r = (await (await empty.app.request('/api/report')).json()) as ReportBody;
      expect(r.database).toBe(false);
      expect((await empty.app.request('/api/report.csv?section=faq')).status).toBe(200);
      expect(existsSync(path)).toBe(false);
    } finally {
      empty.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('conversations per day', () => {
  it('counts by UTC day and language', () => {
    const h = new Harness();
    try {
      const day = (d: string, hour: number) => Date.parse(`${d}T${String(hour).padStart(2, '0')}:30:00Z`);
      const at = (ms: number) => new Records(h.app.db, () => ms);
      const started = [{ type: 'metric', name: 'conversation_started' }] as const;
      at(day('2026-03-01', 0)).apply(started, { channel: 'telegram', lang: 'es', campaign: null });
      at(day('2026-03-01', 23)).apply(started, { channel: 'whatsapp', lang: 'es', campaign: null });
      at(day('2026-03-01', 12)).apply(started, { channel: 'whatsapp', lang: 'ht', campaign: null });
      at(day('2026-03-03', 9)).apply(started, { channel: 'telegram', lang: 'en', campaign: null });
      at(day('2026-02-20', 9)).apply(started, { channel: 'telegram', lang: 'en', campaign: null });
      expect(conversationsPerDay(h.app.db, Date.parse('2026-03-01T00:00:00Z'))).toEqual([
        { day: '2026-03-01', lang: 'es', count: 2 },
        { day: '2026-03-01', lang: 'ht', count: 1 },
        { day: '2026-03-03', lang: 'en', count: 1 },
      ]);
    } finally {
      h.close();
    }
  });
});

describe('FAQ entries in three languages', () => {
  it('gives the title and the answer per language, marking a missing one and a copied one', () => {
    const text = { question: 'q', phrasings: [], keywords: ['k'] };
    const columns = faqColumns({
      id: 'labor.test',
      related: [],
      safety: false,
      es: { ...text, title: 'Salario', answer: 'Tienes derecho a tu salario completo.' },
      en: { ...text, title: 'Wages', answer: 'Tienes derecho a tu salario completo.' },
    });
    expect(columns.rows.map((r) => r.key)).toEqual(['title', 'answer']);
    const answer = columns.rows[1]!.cells;
    expect(answer.es).toMatchObject({ text: 'Tienes derecho a tu salario completo.', missing: false });
    expect(answer.en.suspicious).toBe(true);
    expect(answer.ht).toMatchObject({ text: '', missing: true });
  });

  it('serves a real entry through the studio', async () => {
    const studio = createStudio(loadConfig({ LOG_LEVEL: 'silent', HOT_RELOAD: '0' }, false));
    try {
      const body = (await (await studio.app.request('/api/faq/labor.unpaid-wages')).json()) as ReturnType<
        typeof faqColumns
      >;
      const answer = body.rows.find((r) => r.key === 'answer')!;
      expect(answer.cells.es.text).toContain('Tienes derecho');
      expect(answer.cells.ht.missing).toBe(false);
      expect(answer.cells.ht.text).not.toBe(answer.cells.es.text);
      expect((await studio.app.request('/api/faq/nope.nope')).status).toBe(404);
    } finally {
      studio.close();
    }
  });
});

describe('WhatsApp pairing in the studio', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puente-wa-studio-'));
  const sessionDir = join(dir, 'whatsapp');
  const stateFile = join(dir, 'whatsapp-state.json');
  const qrPng = join(dir, 'whatsapp-qr.png');
  let studio: Studio;
  type Wa = { enabled: boolean; state: string | null; at: string | null; qr: number | null };
  const wa = async () => (await (await studio.app.request('/api/whatsapp')).json()) as Wa;

  beforeAll(() => {
    mkdirSync(sessionDir, { recursive: true });
    studio = createStudio(
      loadConfig(
        { WHATSAPP_SESSION_DIR: sessionDir, WHATSAPP_ENABLED: '1', LOG_LEVEL: 'silent', HOT_RELOAD: '0' },
        false,
      ),
    );
  });
  afterAll(() => {
    studio.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows nothing before WhatsApp has run, then the state and the newest QR code, then no code once linked', async () => {
    expect(await wa()).toEqual({ enabled: true, state: null, at: null, qr: null });
    expect((await studio.app.request('/api/whatsapp/qr.png')).status).toBe(404);

    await QRCode.toFile(qrPng, 'pairing-code-1', { type: 'png' });
    writeWaState(stateFile, 'qr', new Date('2026-03-01T10:00:00Z'));
    const waiting = await wa();
    expect(waiting).toMatchObject({ state: 'qr', at: '2026-03-01T10:00:00.000Z' });
    expect(waiting.qr).toBeGreaterThan(0);
    const png = await studio.app.request('/api/whatsapp/qr.png');
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await png.arrayBuffer())).toEqual(readFileSync(qrPng));

    writeWaState(stateFile, 'ready', new Date('2026-03-01T10:01:00Z'));
    expect(await wa()).toMatchObject({ state: 'ready', qr: null });
    expect((await studio.app.request('/api/whatsapp/qr.png')).status).toBe(404);
    // The file holds a state and a time, nothing about people.
    expect(Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')))).toEqual(['state', 'at']);
  });

  it('ignores a state file that is not one of ours', async () => {
    writeFileSync(stateFile, '{"state":"hacked","at":"yesterday"}');
    expect((await wa()).state).toBeNull();
  });
});

describe('CSV cells', () => {
  it('quote what needs quoting, and keep text a spreadsheet would run as a formula as text', () => {
    expect(rowsToCsv(['query', 'count'], [{ query: 'a, "b"', count: 2 }])).toBe('query,count\n"a, ""b""",2');
    expect(csvCell('=HYPERLINK("http://x.example","hi")')).toBe(`"'=HYPERLINK(""http://x.example"",""hi"")"`);
    for (const risky of ['+1', '-1+2', '@SUM(A1)']) expect(csvCell(risky)).toBe(`'${risky}`);
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
  });
});
