import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createStudio, type Studio } from '../src/studio/server.js';

const BROWSER = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
// On a developer machine without Chromium this is skipped; in CI (.ci/run installs Chromium) it must run.
const runIt = existsSync(BROWSER) || process.env.CI === 'true';

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
    browser = await chromium.launch({
      executablePath: BROWSER,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
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
