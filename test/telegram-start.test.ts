import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../src/config/env.js';
import { BotApiStandIn, textUpdate } from './support/bot-api-standin.js';

/** `npm start` as a user runs it, its output (stdout and stderr) gathered in `log`. */
function npmStart(env: NodeJS.ProcessEnv, detached = false) {
  const child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached });
  const run = {
    child,
    log: '',
    exited: new Promise<number | null>((r) => child.on('exit', (code) => r(code))),
  };
  child.stdout.on('data', (d) => {
    run.log += String(d);
  });
  child.stderr.on('data', (d) => {
    run.log += String(d);
  });
  return run;
}

describe('TELEGRAM_BOT_TOKEN=... npm start', () => {
  const api = new BotApiStandIn();
  const dir = mkdtempSync(join(tmpdir(), 'puente-tgstart-'));
  let root = '';
  beforeAll(async () => {
    root = await api.start();
  });
  afterAll(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the bot with long polling and stops cleanly on SIGTERM', async () => {
    const run = npmStart(
      {
        ...process.env,
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: root,
        DB_PATH: join(dir, 'bot.db'),
        SECRET_KEY_FILE: join(dir, 'secret.key'),
        HOT_RELOAD: '0',
      },
      true,
    );
    const { child, exited } = run;
    try {
      await api.until(() => api.calls.some((c) => c.method === 'getUpdates'), 20_000);
      // An id long enough that no timestamp, port or pid in the log contains it by chance.
      const chat = 738_291_465_017;
      api.push(textUpdate(chat, 'bonjou', 'ht'));
      await api.until(() => api.sent(chat).length >= 2, 10_000);
      expect(api.sent(chat).at(-1)!.params.text).toContain('Sou ki sijè');
      expect(run.log).not.toContain('bonjou');
      expect(run.log).not.toContain(String(chat));
    } finally {
      child.kill('SIGTERM');
    }
    await exited;
    // npm re-raises the signal it forwarded; the bot itself shut down cleanly and closed the database.
    expect(run.log, run.log).toContain('shutting down');
    expect(existsSync(join(dir, 'bot.db-wal'))).toBe(false);
  });

  it('npm start with no channel configured and no terminal says so and exits non-zero', async () => {
    const run = npmStart({
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DB_PATH: join(dir, 'none.db'),
      SECRET_KEY_FILE: join(dir, 'none.key'),
    });
    const code = await run.exited;
    const log = run.log;
    expect(code, log).not.toBe(0);
    expect(log.split('\n').filter((l) => l.startsWith('No channel is configured'))).toHaveLength(1);
  });
});
