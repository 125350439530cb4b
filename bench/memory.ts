import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/env.js';
import { createApp } from '../src/runtime/app.js';
import { createLogger } from '../src/runtime/log.js';
import { LANGS } from '../src/text/lang.js';
import { mixedScript } from './scripts.js';

/** Run in its own process: the resident memory of the bot idle, and after 10,000 users were active. */
const users = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'puente-mem-'));
const app = createApp(
  loadConfig({ DB_PATH: join(dir, 'mem.db'), LOG_LEVEL: 'silent' }, false),
  createLogger('silent'),
);
app.bot.handle({ channel: 'console', user: 'warm', event: { text: 'hola' } });
global.gc?.();
const idleMB = process.memoryUsage().rss / 1_048_576;
for (let step = 0; step < 4; step++) {
  for (let u = 0; u < users; u++) {
    const lang = LANGS[u % 3]!;
    app.bot.handle({ channel: 'whatsapp', user: `m${u}`, event: { text: mixedScript(lang, u)[step]! } });
  }
}
global.gc?.();
const active10kMB = process.memoryUsage().rss / 1_048_576;
app.bot.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ idleMB, active10kMB })}\n`);
