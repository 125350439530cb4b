import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, ROOT } from '../src/config/env.js';
import { studioAddress } from '../src/studio/address.js';
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
  const TOKEN = 's3cret-token';
  let studio: Studio;
  const get = (path: string, headers: Record<string, string> = {}) => studio.app.request(path, { headers });
  const post = (path: string, headers: Record<string, string>, body: unknown = {}) =>
    studio.app.request(path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });

  beforeAll(() => {
    studio = createStudio(
      loadConfig({ STUDIO_HOST: '0.0.0.0', STUDIO_TOKEN: TOKEN, LOG_LEVEL: 'silent' }, false),
    );
  });
  afterAll(() => studio.close());

  /** Opens the printed address and returns the cookie the browser would keep. */
  const login = async () => {
    const res = await get(`/?token=${TOKEN}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^puente_studio=/);
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Strict/i);
    expect(set).toMatch(/Path=\//i);
    expect(set).not.toContain(TOKEN);
    return set.split(';')[0]!;
  };

  it('refuses to bind beyond this machine without a token', () => {
    expect(() => createStudio(loadConfig({ STUDIO_HOST: '0.0.0.0', LOG_LEVEL: 'silent' }, false))).toThrow(
      /STUDIO_TOKEN/,
    );
  });

  it('requires the token on every request: the header, a Bearer token, or the cookie', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/app.js')).status).toBe(401);
    expect((await get('/api/content', { 'x-studio-token': 'wrong' })).status).toBe(401);
    expect((await get('/api/content', { 'x-studio-token': TOKEN })).status).toBe(200);
    expect((await get('/api/content', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    // A tool posts with its token and no Origin: it reaches the handler (400: an empty body).
    expect((await post('/api/chat', { authorization: `Bearer ${TOKEN}` })).status).toBe(400);
    const wrong = await get('/?token=not-it');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('trades /?token= for an HttpOnly SameSite=Strict cookie that loads the page and every asset', async () => {
    const cookie = await login();
    for (const path of [
      '/',
      '/app.js',
      '/report.js',
      '/whatsapp.js',
      '/style.css',
      '/vendor/mermaid.min.js',
      '/vendor/uPlot.iife.min.js',
      '/vendor/uPlot.min.css',
      '/vendor/panzoom.min.js',
      '/api/content',
      '/api/report',
      '/api/whatsapp',
    ]) {
      expect((await get(path, { cookie })).status, path).toBe(200);
    }
    // Every script and style the page names is one of those.
    const page = await (await get('/', { cookie })).text();
    for (const [, src] of page.matchAll(/(?:src|href)="([^"]+)"/g))
      expect((await get(src!.startsWith('/') ? src! : `/${src}`, { cookie })).status, src).toBe(200);
    // The cookie is not the token: a forged one made from the token is refused.
    expect((await get('/', { cookie: `puente_studio=${TOKEN}` })).status).toBe(401);
  });

  it('answers a state-changing request only from the same origin', async () => {
    const cookie = await login();
    const same = { cookie, origin: 'http://localhost', 'content-type': 'application/json' };
    const chat = { user: 'origin-1', text: 'hola' };
    expect((await post('/api/chat', same, chat)).status).toBe(200);
    expect((await post('/api/chat', { ...same, origin: 'http://evil.example' }, chat)).status).toBe(403);
    expect((await post('/api/chat', { ...same, origin: 'null' }, chat)).status).toBe(403);
    expect(
      (await post('/api/reset', { ...same, origin: 'http://localhost.evil.example' }, chat)).status,
    ).toBe(403);
    expect((await post('/api/chat', { cookie, 'sec-fetch-site': 'cross-site' }, chat)).status).toBe(403);
    // Behind a reverse proxy the browser's host is the forwarded one.
    expect(
      (
        await post(
          '/api/chat',
          { ...same, origin: 'https://studio.example.org', 'x-forwarded-host': 'studio.example.org' },
          chat,
        )
      ).status,
    ).toBe(200);
    // Even with the token, a request from another site's page is refused.
    expect(
      (await post('/api/chat', { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' }, chat))
        .status,
    ).toBe(403);
  });

  it('checks the origin without a token too: a page elsewhere cannot drive the local studio', async () => {
    const local = createStudio(loadConfig({ LOG_LEVEL: 'silent' }, false));
    try {
      const body = JSON.stringify({ user: 'x', text: 'hola' });
      const headers = { 'content-type': 'application/json' };
      const from = (origin: string) =>
        local.app.request('/api/chat', { method: 'POST', body, headers: { ...headers, origin } });
      expect((await from('http://evil.example')).status).toBe(403);
      expect((await from('http://localhost')).status).toBe(200);
    } finally {
      local.close();
    }
  });
});

describe('the address the studio prints', () => {
  it('is the host given, or 127.0.0.1 for every interface, with the token', () => {
    expect(studioAddress('0.0.0.0', 8080, 'a b&c')).toBe('http://127.0.0.1:8080/?token=a%20b%26c');
    expect(studioAddress('::', 9000)).toBe('http://127.0.0.1:9000/');
    expect(studioAddress('127.0.0.1', 8080)).toBe('http://127.0.0.1:8080/');
    expect(studioAddress('192.168.1.20', 8080, 't')).toBe('http://192.168.1.20:8080/?token=t');
    expect(studioAddress('::1', 8080)).toBe('http://[::1]:8080/');
  });

  it('npm run studio on 0.0.0.0 prints an address that opens the studio', async () => {
    const port = await freePort();
    const child = spawn('npm', ['run', '--silent', 'studio'], {
      cwd: ROOT,
      env: {
        ...process.env,
        STUDIO_HOST: '0.0.0.0',
        STUDIO_PORT: String(port),
        STUDIO_TOKEN: 'printed-token',
        LOG_LEVEL: 'silent',
        HOT_RELOAD: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += String(d);
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.on('exit', () => reject(new Error(`the studio exited: ${out}`)));
      });
      const address = line.replace(/^Puente studio: /, '');
      expect(address).toBe(`http://127.0.0.1:${port}/?token=printed-token`);
      const opened = await fetch(address, { redirect: 'manual' });
      expect(opened.status).toBe(302);
      const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
      const page = await fetch(new URL('/', address), { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Puente studio');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  }, 60_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
