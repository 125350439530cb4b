import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/env.js';
import { createApp } from '../src/runtime/app.js';
import { createLogger } from '../src/runtime/log.js';
import { createStudio, type Studio } from '../src/studio/server.js';
import { copyContent } from './support/content-dir.js';

const BROWSER = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
// On a developer machine without Chromium this is skipped; in CI (.ci/run installs Chromium) it must run.
const runIt = existsSync(BROWSER) || process.env.CI === 'true';

const BROWSER_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!runIt)('studio in a real browser', () => {
  let studio: Studio;
  let server: ReturnType<typeof serve>;
  let browser: Browser;
  let url = '';

  beforeAll(async () => {
    studio = createStudio(loadConfig({ LOG_LEVEL: 'silent', HOT_RELOAD: '1' }, false));
    await new Promise<void>((resolve) => {
      server = serve({ fetch: studio.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: BROWSER, args: BROWSER_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    studio?.close();
  });

  it('runs a conversation in Creole with buttons, then shows it as WhatsApp would', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(url);
    await page.selectOption('#lang', 'ht');
    await page.fill('#text', 'bonjou');
    await page.press('#text', 'Enter');
    const labor = page.locator('button[data-option="labor"]').last();
    await labor.waitFor();
    expect(await labor.textContent()).toBe('Dwa travay ak jistis');
    await labor.click();
    await page.locator('.msg.bot', { hasText: 'Dwa ou nan travay valab' }).first().waitFor();
    await page.locator('#columns h3', { hasText: 'labor › topics' }).waitFor();
    expect(await page.locator('#columns td').first().textContent()).toContain('Tus derechos');
    await page.locator('button[data-option="unpaid"]').last().click();
    await page.locator('.msg.bot', { hasText: 'FAQ labor.unpaid-wages' }).waitFor();

    await page.selectOption('#render', 'whatsapp');
    const numbered = page.locator('li[data-channel="whatsapp"]', { hasText: '1. Dwa travay ak jistis' });
    await numbered.first().waitFor();
    expect(await page.locator('li[data-channel="telegram"]').count()).toBe(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'studio-creole-whatsapp.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'studio-creole-whatsapp.png'))).toBe(true);
  }, 60_000);

  it('shows the content, its problems, and a flow diagram', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await page.click('button[data-tab="content"]');
    await page.getByText('No errors: the content is ready to serve.').waitFor();
    expect(await page.locator('#faq li').count()).toBe(28);
    await page.click('button[data-tab="diagram"]');
    await page.selectOption('#graph-flow', 'covid');
    await page.locator('#graph svg').waitFor();
    expect(await page.locator('#graph-source').textContent()).toMatch(/^flowchart TD/);
  }, 60_000);
});

/** Every response the page gets, to prove that nothing it loads is refused. */
function watch(page: Page): Array<{ url: string; status: number }> {
  const seen: Array<{ url: string; status: number }> = [];
  page.on('response', (r) => seen.push({ url: r.url(), status: r.status() }));
  page.on('requestfailed', (r) => seen.push({ url: r.url(), status: -1 }));
  return seen;
}

describe.skipIf(!runIt)('studio in token mode, reached from another machine', () => {
  const TOKEN = 'e2e-studio-token';
  const QUESTION = 'quien gano el partido de futbol ayer';
  const ENTRY = 'labor.unpaid-wages';
  const dir = mkdtempSync(join(tmpdir(), 'puente-e2e-token-'));
  // A copy of the content: "teach" writes into its data/faq/.
  const content = copyContent();
  let studio: Studio;
  let server: ReturnType<typeof serve>;
  let elsewhere: Server;
  let browser: Browser;
  let base = '';
  let otherSite = '';

  beforeAll(async () => {
    // A scripted conversation on the bot's real database leaves a question it could not answer.
    const config = loadConfig(
      { CONTENT_DIR: content, DB_PATH: join(dir, 'puente.db'), LOG_LEVEL: 'silent' },
      false,
    );
    const bot = createApp(config, createLogger('silent'));
    await bot.bot.handle({ channel: 'whatsapp', user: 'p1', event: { start: 'es_labor_radio-7' } });
    await bot.bot.handle({ channel: 'whatsapp', user: 'p1', event: { text: QUESTION } });
    await bot.bot.handle({
      channel: 'telegram',
      user: 'p2',
      event: { text: 'hello' },
      hint: { lang: 'en', sure: true },
    });
    await bot.bot.handle({
      channel: 'telegram',
      user: 'p3',
      event: { text: 'me estan golpeando' },
      hint: { lang: 'es', sure: true },
    });
    bot.bot.close();

    studio = createStudio(
      loadConfig(
        {
          CONTENT_DIR: content,
          DB_PATH: config.paths.db,
          STUDIO_HOST: '0.0.0.0',
          STUDIO_TOKEN: TOKEN,
          LOG_LEVEL: 'silent',
        },
        false,
      ),
    );
    await new Promise<void>((resolve) => {
      server = serve({ fetch: studio.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Another site (localhost is not the same site as 127.0.0.1) that links to the printed address.
    elsewhere = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<a id="go" href="${base}/?token=${TOKEN}">studio</a>`);
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    otherSite = `http://localhost:${(elsewhere.address() as AddressInfo).port}/`;
    browser = await chromium.launch({ executablePath: BROWSER, args: BROWSER_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    elsewhere?.close();
    await studio?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(content, { recursive: true, force: true });
  });

  it('loads every asset with the cookie and shows the unanswered question in the Report tab', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const seen = watch(page);
    await page.goto(`${base}/?token=${TOKEN}`);
    // The token is traded for a cookie and leaves the address bar.
    expect(page.url()).toBe(`${base}/`);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'puente_studio')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    await page.locator('#flows li').first().waitFor({ state: 'attached' });
    expect(await page.evaluate(() => Boolean(window.mermaid && window.uPlot && window.Panzoom))).toBe(true);

    await page.click('button[data-tab="report"]');
    const unanswered = page.locator('#report-unanswered td', { hasText: QUESTION });
    await unanswered.waitFor();
    await page.locator('#report-campaigns td', { hasText: 'radio-7' }).waitFor();
    await page.locator('#daily-chart canvas').first().waitFor();
    await page.locator('#safety-chart canvas').first().waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'studio-report-phone.png'), fullPage: true });

    // The CSV link downloads with the cookie too.
    const download = page.waitForEvent('download');
    await page.click('#report-unanswered a.csv');
    const file = await (await download).path();
    expect(file).toBeTruthy();

    await page.click('button[data-tab="whatsapp"]');
    await page.locator('#wa-state', { hasText: 'WhatsApp Web has not run' }).waitFor();
    await page.click('button[data-tab="diagram"]');
    await page.locator('#graph svg').waitFor();

    const refused = seen.filter((r) => r.status === 401 || r.status === 403 || r.status < 0);
    expect(refused, JSON.stringify(refused)).toEqual([]);
    const urls = seen.map((r) => new URL(r.url).pathname);
    for (const asset of [
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
    ])
      expect(urls, asset).toContain(asset);
    expect(
      seen.filter((r) => r.status >= 400),
      JSON.stringify(seen),
    ).toEqual([]);
  }, 90_000);

  it('teaches the unanswered question to an FAQ entry from the Report tab', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const seen = watch(page);
    await page.goto(`${base}/?token=${TOKEN}`);
    await page.click('button[data-tab="report"]');
    const row = page.locator('#report-unanswered tr', { hasText: QUESTION });
    await row.waitFor();
    // The entries are offered by their titles in the question's language (Spanish here).
    const file = join(content, 'data', 'faq', `${ENTRY}.yaml`);
    const title = (parse(readFileSync(file, 'utf8')) as { es: { title: string } }).es.title;
    const option = row.locator(`select.teach-entry option[value="${ENTRY}"]`);
    expect(await option.textContent()).toBe(`${title} (${ENTRY})`);
    await row.locator('select.teach-entry').selectOption(ENTRY);

    // Staff confirm before anything is written.
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.accept();
    });
    await row.locator('button.teach').click();
    await page.locator('#report-unanswered .teach-done', { hasText: 'Taught' }).waitFor();
    expect(asked[0]).toContain(QUESTION);
    expect(asked[0]).toContain(title);
    // The question is now marked taught, beside the entry it went to.
    await page
      .locator('#report-unanswered tr', { hasText: QUESTION })
      .locator('.taught', { hasText: ENTRY })
      .waitFor();
    expect(
      await page.locator('#report-unanswered tr', { hasText: QUESTION }).locator('button.teach').count(),
    ).toBe(0);

    const yaml = readFileSync(file, 'utf8');
    expect((parse(yaml) as { es: { phrasings: unknown[] } }).es.phrasings.at(-1)).toEqual({
      text: QUESTION,
      learned: true,
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'studio-report-taught.png'), fullPage: true });
    const posted = seen.filter((r) => new URL(r.url).pathname === '/api/teach');
    expect(posted.map((r) => r.status)).toEqual([200]);
    expect(
      seen.filter((r) => r.status >= 400 || r.status < 0),
      JSON.stringify(seen),
    ).toEqual([]);
  }, 90_000);

  it('previews a flow from the content list, shows FAQ answers in three languages, and zooms the diagram', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const seen = watch(page);
    await page.goto(`${base}/?token=${TOKEN}`);
    await page.click('button[data-tab="content"]');
    await page.click('button.flow-link[data-flow="covid"]');
    await page.locator('.msg.bot', { hasText: 'COVID-19: ¿qué quieres saber?' }).waitFor();
    expect(await page.locator('#tab-chat').isVisible()).toBe(true);

    await page.click('button[data-tab="content"]');
    await page.click('details[data-faq="labor.unpaid-wages"] summary');
    const answers = page.locator('details[data-faq="labor.unpaid-wages"] table tr', { hasText: 'answer' });
    await answers.waitFor();
    const cells = await answers.locator('td').allTextContents();
    expect(cells).toHaveLength(3);
    expect(cells[0]).toContain('Tienes derecho');
    expect(cells[2]).not.toBe(cells[0]);

    await page.click('button[data-tab="diagram"]');
    await page.selectOption('#graph-flow', 'labor');
    const svg = page.locator('#graph svg');
    await svg.waitFor();
    const before = await svg.evaluate((e) => getComputedStyle(e).transform);
    await page.click('#zoom-in');
    await expect.poll(() => svg.evaluate((e) => getComputedStyle(e).transform)).not.toBe(before);
    // Dragging moves it (Panzoom takes mouse, pen and touch alike).
    const zoomed = await svg.evaluate((e) => getComputedStyle(e).transform);
    const box = (await page.locator('#graph').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 120, box.y + 40, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => svg.evaluate((e) => getComputedStyle(e).transform)).not.toBe(zoomed);
    expect(seen.filter((r) => r.status >= 400 || r.status < 0)).toEqual([]);
  }, 90_000);

  it('opens from a link on another site, where the strict cookie is held back once', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(otherSite);
    await page.click('#go');
    await page.locator('#flows li').first().waitFor({ state: 'attached' });
    expect(page.url()).toBe(`${base}/`);
    await context.close();
  }, 60_000);
});

declare global {
  interface Window {
    mermaid?: unknown;
    uPlot?: unknown;
    Panzoom?: unknown;
  }
}
