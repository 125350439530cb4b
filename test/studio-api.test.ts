import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createStudio, type Studio } from '../src/studio/server.js';
import { copyContent } from './support/content-dir.js';

describe('studio API', () => {
  let studio: Studio;
  let dir: string;
  const call = (path: string, body?: unknown, token?: string) =>
    studio.app.request(path, {
      method: body ? 'POST' : 'GET',
      headers: { 'content-type': 'application/json', ...(token ? { 'x-studio-token': token } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    dir = copyContent();
    studio = createStudio(loadConfig({ CONTENT_DIR: dir, LOG_LEVEL: 'silent' }, false));
    await studio.ready;
  });
  afterAll(() => {
    studio.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page and the content with the check report', async () => {
    expect(await (await call('/')).text()).toContain('Puente studio');
    const content = (await (await call('/api/content')).json()) as {
      flows: Array<{ id: string }>;
      faq: unknown[];
      report: { ok: boolean };
    };
    expect(content.flows.map((f) => f.id)).toContain('labor');
    expect(content.faq).toHaveLength(28);
    expect(content.report.ok).toBe(true);
  });

  it('runs the real engine on a scratch database, rendered for Telegram and WhatsApp', async () => {
    const res = await call('/api/chat', { user: 'api-1', lang: 'ht', text: 'bonjou' });
    const body = (await res.json()) as {
      lang: string;
      messages: Array<{
        flow: string;
        telegram: Array<{ text: string; reply_markup?: unknown }>;
        whatsapp: string[];
      }>;
    };
    expect(body.lang).toBe('ht');
    const menu = body.messages.at(-1)!;
    expect(menu.flow).toBe('main');
    expect(menu.telegram[0]!.reply_markup).toBeDefined();
    expect(menu.whatsapp[0]).toContain('1. Dwa travay ak jistis');
    const next = (await (
      await call('/api/chat', { user: 'api-1', choice: 'labor', at: { flow: 'main', step: 'home' } })
    ).json()) as { messages: Array<{ flow: string }> };
    expect(next.messages.at(-1)!.flow).toBe('labor');
    expect((await call('/api/chat', { user: '' })).status).toBe(400);
  });

  it('shows a step in three languages, marking a translation identical to the Spanish', async () => {
    const cols = (await (await call('/api/step/main/home')).json()) as {
      rows: Array<{ key: string; cells: Record<string, { text: string; suspicious: boolean }> }>;
    };
    expect(cols.rows[0]!.key).toBe('text');
    expect(cols.rows[0]!.cells.ht!.text).toContain('Sou ki sijè');
    const file = join(dir, 'flows', 'covid.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'ht: "COVID-19: kisa ou vle konnen?"',
        'ht: "COVID-19: ¿qué quieres saber?"',
      ),
    );
    let flagged = false;
    for (let i = 0; i < 40 && !flagged; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const c = (await (await call('/api/step/covid/topics')).json()) as typeof cols;
      flagged = c.rows[0]!.cells.ht!.suspicious;
    }
    expect(flagged).toBe(true);
  });

  it('gives the Mermaid source of a flow', async () => {
    const res = await call('/api/graph/labor');
    expect(await res.text()).toMatch(/^flowchart TD/);
    expect((await call('/api/graph/nope')).status).toBe(404);
  });
});

describe('studio token', () => {
  it('refuses to bind beyond this machine without a token', () => {
    expect(() => createStudio(loadConfig({ STUDIO_HOST: '0.0.0.0', LOG_LEVEL: 'silent' }, false))).toThrow(
      /STUDIO_TOKEN/,
    );
  });

  it('requires the token on every request when one is set', async () => {
    const studio = createStudio(
      loadConfig({ STUDIO_HOST: '0.0.0.0', STUDIO_TOKEN: 's3cret-token', LOG_LEVEL: 'silent' }, false),
    );
    try {
      expect((await studio.app.request('/')).status).toBe(401);
      expect(
        (await studio.app.request('/api/content', { headers: { 'x-studio-token': 'wrong' } })).status,
      ).toBe(401);
      expect(
        (await studio.app.request('/api/content', { headers: { 'x-studio-token': 's3cret-token' } })).status,
      ).toBe(200);
      expect((await studio.app.request('/?token=s3cret-token')).status).toBe(200);
      expect(
        (
          await studio.app.request('/api/chat', {
            method: 'POST',
            body: '{}',
            headers: { authorization: 'Bearer s3cret-token', 'content-type': 'application/json' },
          })
        ).status,
      ).toBe(400);
    } finally {
      studio.close();
    }
  });
});
