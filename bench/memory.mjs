// The bot as `npm start` runs it, compiled, in its own process. This probe is plain
// JavaScript because a TypeScript loader runs in a worker thread whose memory would be
// counted as the bot's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../dist/config/env.js';
import { createApp } from '../dist/runtime/app.js';
import { createLogger } from '../dist/runtime/log.js';
import { LANGS } from '../dist/text/lang.js';

const users = Number(process.argv[2]);
/** Per language, a few scripted conversations (bench/scripts.ts); users take them in turn. */
const scripts = JSON.parse(process.argv[3]);
const dir = mkdtempSync(join(tmpdir(), 'puente-mem-'));
const app = createApp(
  loadConfig(
    { DB_PATH: join(dir, 'mem.db'), SECRET_KEY_FILE: join(dir, 'secret.key'), LOG_LEVEL: 'silent' },
    false,
  ),
  createLogger('silent'),
);
await app.bot.handle({ channel: 'console', user: 'warm', event: { text: 'hola' } });
global.gc?.();
const idleMB = process.memoryUsage().rss / 1_048_576;
for (let step = 0; step < 4; step++) {
  for (let u = 0; u < users; u++) {
    const own = scripts[LANGS[u % 3]];
    await app.bot.handle({ channel: 'whatsapp', user: `m${u}`, event: { text: own[u % own.length][step] } });
  }
}
global.gc?.();
const active10kMB = process.memoryUsage().rss / 1_048_576;
app.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ idleMB, active10kMB })}\n`);
