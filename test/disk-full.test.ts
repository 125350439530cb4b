import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTelegram } from '../src/channels/telegram/run.js';
import { BotApiStandIn, textUpdate } from './support/bot-api-standin.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

/** A tiny tmpfs for the database, where the machine lets us mount one (root, in a container that allows it). */
function mountTiny(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'puente-tiny-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dir]);
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return dir;
}

const tiny = mountTiny();

/** Fills the file system: writes until it is full. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full.
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!tiny)('a full disk (a tiny tmpfs)', () => {
  it('an apology per user, the updates kept, then every reply once space comes back', {
    timeout: 120_000,
  }, async () => {
    const dir = tiny!;
    const api = new BotApiStandIn();
    const root = await api.start();
    const log = new LogSink('debug');
    mkdirSync(join(dir, 'db'));
    const h = new Harness(
      {
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: root,
        DB_PATH: join(dir, 'db', 'bot.db'),
        OUTBOX_TELEGRAM_PER_S: '5000',
        OUTBOX_PER_CHAT_PER_S: '1000',
      },
      { log: log.logger },
    );
    const channel = await startTelegram(h.app);
    const drained = () => h.app.store.outbox.backlog() === 0;
    try {
      api.push(textUpdate(890_000, 'hola', 'es'));
      await api.until(() => api.sent(890_000).length >= 2 && drained());
      fill(join(dir, 'filler'));
      const users = Array.from({ length: 100 }, (_, i) => 890_001 + i);
      for (const [i, u] of users.entries()) api.push(textUpdate(u, 'hello', i % 2 ? 'en' : 'ht'));
      await api.until(() => users.every((u) => api.sent(u).length >= 1), 60_000);
      for (const [i, u] of users.entries())
        expect(api.sent(u).map((c) => c.params.text)).toEqual([h.app.bot.apology(i % 2 ? 'en' : 'ht')]);
      expect(log.lines().filter((l) => l.code === 'store.fault')).toHaveLength(1);
      expect(log.lines().find((l) => l.code === 'store.fault')?.fault).toBe('SQLITE_FULL');
      rmSync(join(dir, 'filler'));
      await api.until(
        () => users.every((u) => api.sent(u).length >= 3) && api.unconfirmed === 0 && drained(),
        60_000,
      );
    } finally {
      await channel.stop();
      await api.stop();
      h.close();
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
