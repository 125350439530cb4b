import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { convertMessageToTelegram } from '../channels/telegram/convert.js';
import { convertMessageToWhatsApp } from '../channels/whatsapp/convert.js';
import { readWaState, whatsappFiles } from '../channels/whatsapp/state.js';
import { type Config, ConfigError, ROOT } from '../config/env.js';
import { checkFiles } from '../content/check.js';
import { EventSchema, PositionSchema } from '../engine/types.js';
import { loadFaqDir } from '../faq/loader.js';
import { flowToMermaid } from '../flows/graph.js';
import { type App, createApp } from '../runtime/app.js';
import { contentSettings, readContentFiles } from '../runtime/content.js';
import { createLogger } from '../runtime/log.js';
import { type Reloader, watchContent } from '../runtime/reload.js';
import { LANGS, LangSchema } from '../text/lang.js';
import { sameOriginOnly, tokenRequired } from './auth.js';
import { faqColumns, stepColumns } from './columns.js';
import { readStudioReport, reportCsv, reportSource, StoreUnavailable, sinceOf } from './report.js';
import { TeachRequestSchema, taughtTo, teachFromStudio } from './teach.js';

export const STUDIO_CHANNEL = 'studio';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const PUBLIC = join(ROOT, 'src', 'studio', 'public');
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const FILES: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', JS],
  '/report.js': ['report.js', JS],
  '/whatsapp.js': ['whatsapp.js', JS],
  '/style.css': ['style.css', CSS],
};
/** Libraries the page loads from node_modules: no CDN, so the studio works offline and leaks nothing. */
const VENDOR: Record<string, [string, string]> = {
  '/vendor/mermaid.min.js': ['mermaid/dist/mermaid.min.js', JS],
  '/vendor/uPlot.iife.min.js': ['uplot/dist/uPlot.iife.min.js', JS],
  '/vendor/uPlot.min.css': ['uplot/dist/uPlot.min.css', CSS],
  '/vendor/panzoom.min.js': ['@panzoom/panzoom/dist/panzoom.min.js', JS],
};

const ChatSchema = z.object({
  user: z.string().min(1).max(64),
  lang: LangSchema.optional(),
  text: z.string().max(10_000).optional(),
  choice: z.string().max(64).optional(),
  at: PositionSchema.optional(),
  start: z.string().max(64).optional(),
});

export type Studio = {
  app: Hono;
  /** Resolves once the report's connection to PostgreSQL, if any, has ended. */
  close: () => Promise<void>;
  bot: App;
  /** Resolves once content edits are watched. */
  ready: Promise<void>;
};

/**
 * The staff studio: the real engine on a scratch database, the content with its problems,
 * each step and FAQ entry in three languages, the flow diagrams, the report from the bot's real
 * store (SQLite read-only, or PostgreSQL) with its teach action, and WhatsApp's pairing state.
 * Binding beyond this machine needs a token.
 */
export function createStudio(config: Config): Studio {
  if (!LOOPBACK.has(config.STUDIO_HOST) && !config.STUDIO_TOKEN) {
    throw new ConfigError(
      `The studio binds to ${config.STUDIO_HOST}, which others can reach: set STUDIO_TOKEN, or use STUDIO_HOST=127.0.0.1.`,
    );
  }
  const scratch = mkdtempSync(join(tmpdir(), 'puente-studio-'));
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  // A scratch database: previews never touch real users' sessions or the staff report.
  // Its own key too: the real key file is never made or read for a preview.
  const bot = createApp(
    {
      ...config,
      SECRET_KEY_FILE: join(scratch, 'secret.key'),
      paths: { ...config.paths, db: join(scratch, 'studio.db') },
    },
    log,
  );
  const listeners = new Set<(ok: boolean) => void>();
  const reloader: Reloader = watchContent(
    bot.bot,
    bot.store,
    config.paths,
    contentSettings(config),
    log,
    (ok) => {
      for (const l of listeners) l(ok);
    },
  );

  const source = reportSource(config);

  const app = new Hono();
  app.onError((e, c) => {
    if (e instanceof StoreUnavailable) return c.json({ error: e.message }, 503);
    log.error({ code: 'studio.error', err: e }, 'studio: a request failed');
    return c.json({ error: 'the studio failed: see its log' }, 500);
  });
  app.use('*', sameOriginOnly());
  if (config.STUDIO_TOKEN) app.use('*', tokenRequired(config.STUDIO_TOKEN));

  for (const [path, [file, type]] of Object.entries(FILES)) {
    app.get(path, (c) =>
      c.body(readFileSync(join(PUBLIC, file), 'utf8'), 200, {
        'content-type': type,
        'cache-control': 'no-store',
      }),
    );
  }
  for (const [path, [file, type]] of Object.entries(VENDOR)) {
    app.get(path, (c) =>
      c.body(readFileSync(join(ROOT, 'node_modules', file), 'utf8'), 200, {
        'content-type': type,
        'cache-control': 'max-age=3600',
      }),
    );
  }

  app.get('/api/content', (c) => {
    const files = readContentFiles(config.paths);
    const report = checkFiles(files);
    return c.json({
      flows: [...files.flows.values()].map((f) => ({
        id: f.id,
        description: f.description ?? '',
        start: f.start,
        steps: Object.keys(f.steps),
      })),
      faq: [...files.faq.values()].map((e) => ({
        id: e.id,
        titles: Object.fromEntries(LANGS.map((l) => [l, e[l]?.title ?? null])),
      })),
      report,
    });
  });

  app.get('/api/graph/:flow', (c) => {
    const flow = readContentFiles(config.paths).flows.get(c.req.param('flow'));
    if (!flow) return c.json({ error: 'no such flow' }, 404);
    return c.text(flowToMermaid(flow, LangSchema.catch('es').parse(c.req.query('lang'))));
  });

  app.get('/api/step/:flow/:step', (c) => {
    const flow = bot.bot.current.flows.get(c.req.param('flow'));
    const columns = flow ? stepColumns(flow, c.req.param('step')) : null;
    return columns ? c.json(columns) : c.json({ error: 'no such step' }, 404);
  });

  app.get('/api/faq/:id', (c) => {
    const entry = bot.bot.current.faq.get(c.req.param('id'));
    return entry ? c.json(faqColumns(entry)) : c.json({ error: 'no such entry' }, 404);
  });

  // The report reads the bot's real store (SQLite read-only, or PostgreSQL); the chat above uses the scratch one.
  app.get('/api/report', async (c) => {
    const since = sinceOf(c.req.query('since'));
    if (since === null) return c.json({ error: 'since takes a period like 30d, or a date' }, 400);
    // Read from the files, not the reloaded content: a question taught a moment ago shows as taught.
    const taught = taughtTo(loadFaqDir(config.paths.faq, config.paths.root).entries);
    return c.json(await readStudioReport(source, since, taught));
  });

  app.get('/api/report.csv', async (c) => {
    const since = sinceOf(c.req.query('since'));
    if (since === null) return c.text('since takes a period like 30d, or a date', 400);
    const section = c.req.query('section');
    const csv = await reportCsv(source, since, section);
    if (csv === null) return c.text('no such section', 404);
    const name = `puente-report${section ? `-${section}` : ''}-${new Date().toISOString().slice(0, 10)}.csv`;
    return c.body(csv, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'cache-control': 'no-store',
    });
  });

  // "Teach": an unanswered question becomes a phrasing of an entry, marked learned: true for a
  // reviewer, as `cli faq teach` does. It edits data/faq/; the watcher reloads the content.
  app.post('/api/teach', async (c) => {
    const body = TeachRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: body.error.issues.map((i) => i.message).join('; ') }, 400);
    const entries = loadFaqDir(config.paths.faq, config.paths.root).entries;
    const outcome = await source.read((reader) =>
      reader
        ? teachFromStudio(reader, config.paths.faq, entries, body.data)
        : Promise.resolve({ ok: false as const, status: 404 as const, error: 'the bot has no database yet' }),
    );
    if (!outcome.ok) return c.json({ error: outcome.error }, outcome.status);
    const { taught } = outcome;
    return c.json({
      question: outcome.question,
      entry: outcome.entry,
      lang: taught.lang,
      phrasing: taught.phrasing,
      added: taught.added,
    });
  });

  // WhatsApp Web pairing, for whoever holds the phone: the state the bot last wrote, and its QR code.
  const wa = whatsappFiles(config);
  app.get('/api/whatsapp', (c) => {
    const state = readWaState(wa.stateFile);
    const qr = state?.state === 'qr' && existsSync(wa.qrPng) ? statSync(wa.qrPng).mtimeMs : null;
    return c.json({
      enabled: config.WHATSAPP_ENABLED,
      state: state?.state ?? null,
      at: state?.at ?? null,
      qr,
    });
  });

  app.get('/api/whatsapp/qr.png', (c) => {
    // A code from an earlier pairing cannot be scanned; only the one WhatsApp shows now is served.
    if (readWaState(wa.stateFile)?.state !== 'qr' || !existsSync(wa.qrPng))
      return c.json({ error: 'no QR code to scan now' }, 404);
    return c.body(readFileSync(wa.qrPng), 200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
  });

  app.post('/api/chat', async (c) => {
    const body = ChatSchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: body.error.issues.map((i) => i.message).join('; ') }, 400);
    const b = body.data;
    const event = EventSchema.parse(
      b.start !== undefined
        ? { start: b.start }
        : b.choice !== undefined
          ? { choice: b.choice, ...(b.at ? { at: b.at } : {}) }
          : { text: b.text ?? '' },
    );
    const reply = await bot.bot.handle({
      channel: STUDIO_CHANNEL,
      user: b.user,
      event,
      hint: b.lang ? { lang: b.lang, sure: true } : undefined,
    });
    return c.json({
      lang: reply.lang,
      messages: reply.messages.map((m) => ({
        ...m,
        telegram: convertMessageToTelegram(m),
        whatsapp: convertMessageToWhatsApp(m),
      })),
    });
  });

  app.post('/api/reset', async (c) => {
    const body = z
      .object({ user: z.string().min(1).max(64) })
      .safeParse(await c.req.json().catch(() => null));
    if (!body.success) return c.json({ error: 'user is needed' }, 400);
    await bot.bot.forgetUser(STUDIO_CHANNEL, body.data.user);
    return c.json({ ok: true });
  });

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const send = (ok: boolean) => void stream.writeSSE({ event: 'content', data: JSON.stringify({ ok }) });
      listeners.add(send);
      stream.onAbort(() => {
        listeners.delete(send);
      });
      while (!stream.aborted) {
        await stream.writeSSE({ event: 'ping', data: '' });
        await stream.sleep(15_000);
      }
    }),
  );

  return {
    app,
    bot,
    ready: reloader.ready,
    close: async () => {
      void reloader.close();
      bot.close();
      rmSync(scratch, { recursive: true, force: true });
      await source.close();
    },
  };
}
