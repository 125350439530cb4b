import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningChannel } from '../src/channels/channel.js';
import { MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION } from '../src/channels/telegram/profile.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { contentPaths } from '../src/config/env.js';
import { checkContent } from '../src/content/check.js';
import { buildReport } from '../src/report/report.js';
import { BotApiStandIn, callbackUpdate, textUpdate } from './support/bot-api-standin.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };
const locale = (lang: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'locales', lang, 'common.json'), 'utf8')) as {
    telegram: { description: string; shortDescription: string; tagline: string };
  };

describe("Telegram's first screen", () => {
  let api: BotApiStandIn;
  let h: Harness;
  let channel: RunningChannel;

  beforeEach(async () => {
    api = new BotApiStandIn();
    const root = await api.start();
    h = new Harness({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root });
    channel = await startTelegram(h.app);
  });

  afterEach(async () => {
    await channel.stop();
    await api.stop();
    h.close();
  });

  it('sets the description and short description in each language, and in all three for other apps', async () => {
    await api.until(() => api.calls.filter((c) => c.method === 'setMyShortDescription').length >= 4);
    const byLang = (method: string) =>
      Object.fromEntries(
        api.calls
          .filter((c) => c.method === method)
          .map((c) => [String(c.params.language_code ?? 'default'), c.params]),
      );
    const descriptions = byLang('setMyDescription');
    const shorts = byLang('setMyShortDescription');
    expect(Object.keys(descriptions).sort()).toEqual(['default', 'en', 'es', 'ht']);
    for (const lang of ['es', 'en', 'ht']) {
      expect(descriptions[lang]!.description).toBe(locale(lang).telegram.description);
      expect(shorts[lang]!.short_description).toBe(locale(lang).telegram.shortDescription);
    }
    // Someone whose app is in French (as many Haitians have it) reads Creole first, then Spanish and English.
    const fallback = String(descriptions.default!.description);
    expect(fallback.indexOf(locale('ht').telegram.shortDescription)).toBe(0);
    expect(fallback).toContain(locale('es').telegram.shortDescription);
    expect(fallback).toContain(locale('en').telegram.shortDescription);
    expect(String(shorts.default!.short_description)).toBe(
      ['ht', 'es', 'en'].map((l) => locale(l).telegram.tagline).join(' · '),
    );
    for (const d of Object.values(descriptions))
      expect([...String(d.description)].length).toBeLessThanOrEqual(MAX_DESCRIPTION);
    for (const s of Object.values(shorts))
      expect([...String(s.short_description)].length).toBeLessThanOrEqual(MAX_SHORT_DESCRIPTION);
  });

  it('asks a user whose app is in French for their language, in all three, instead of answering in Spanish', async () => {
    api.push(textUpdate(801, '/start', 'fr'));
    await api.until(() => api.sent(801).length >= 2);
    const [welcome, question] = api.sent(801).map((c) => String(c.params.text));
    for (const hello of ['Hola', 'Hi', 'Bonjou']) expect(welcome).toContain(hello);
    expect(question).toContain('Chwazi lang ou');
    const buttons = (api.sent(801).at(-1)!.params.reply_markup as Keyboard).inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(['Español', 'English', 'Kreyòl ayisyen']);

    const creole = buttons.find((b) => b.text === 'Kreyòl ayisyen')!;
    api.push(callbackUpdate(801, creole.callback_data, 1000 + api.sent().length - 1));
    await api.until(() => api.sent(801).length >= 3);
    expect(String(api.sent(801).at(-1)!.params.text)).toContain('Sou ki sijè');

    // A French greeting is no clearer: the question again, not Spanish.
    api.push(textUpdate(802, 'bonjour', 'fr'));
    await api.until(() => api.sent(802).length >= 2);
    expect(String(api.sent(802).at(-1)!.params.text)).toContain('Chwazi lang ou');
    // Until they choose, they are counted with no language rather than as Spanish speakers.
    const conversations = buildReport(h.app.db, 0).conversations;
    expect(conversations).toContainEqual({ channel: 'telegram', lang: null, campaign: null, count: 2 });
  });
});

describe('the content check and the first screen', () => {
  it('flags a description longer than Telegram allows', () => {
    const dir = copyContent();
    try {
      const file = join(dir, 'locales', 'en', 'common.json');
      const data = JSON.parse(readFileSync(file, 'utf8')) as { telegram: { description: string } };
      data.telegram.description = 'Long. '.repeat(100);
      writeFileSync(file, JSON.stringify(data, null, 2));
      const report = checkContent(contentPaths(dir));
      expect(report.ok).toBe(false);
      expect(report.problems).toContainEqual(
        expect.objectContaining({
          file: 'locales/en/common.json',
          code: 'limit.telegram',
          message: expect.stringContaining('600 characters; Telegram allows 512'),
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
