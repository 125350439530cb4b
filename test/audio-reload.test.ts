import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contentSettings } from '../src/runtime/content.js';
import { type Reloader, watchContent } from '../src/runtime/reload.js';
import { contentWithAudio, nameFaqAudio, putRecording, TONE, UNPAID } from './support/audio-content.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

/** Nothing here measures time: each step waits for the reload that follows the change. */
const GIVE_UP_MS = 20_000;

describe('hot reload of recordings', () => {
  let h: Harness | undefined;
  let w: Reloader | undefined;
  let dir = '';
  const results: boolean[] = [];
  let waiting: Array<() => void> = [];

  afterEach(async () => {
    await w?.close();
    h?.close();
    results.length = 0;
    waiting = [];
    rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves with the result of the first reload after this call. */
  function nextReload(): Promise<boolean> {
    const seen = results.length;
    return new Promise((resolve, reject) => {
      const giveUp = setTimeout(() => reject(new Error('no reload came')), GIVE_UP_MS);
      const test = () => {
        if (results.length > seen) {
          clearTimeout(giveUp);
          resolve(results[seen]!);
        } else waiting.push(test);
      };
      waiting.push(test);
    });
  }

  it('checks and serves a recording added or replaced in data/audio/, and keeps the last good version', async () => {
    dir = contentWithAudio();
    const sink = new LogSink('info');
    h = new Harness({ CONTENT_DIR: dir });
    const cfg = h.config();
    w = watchContent(h.app.bot, h.app.store, cfg.paths, contentSettings(cfg), sink.logger, (ok) => {
      results.push(ok);
      for (const wake of waiting.splice(0)) wake();
    });
    await w.ready;
    const before = h.app.bot.current.version;

    // Named in English before the file is there: rejected, and the last good version serves.
    let reload = nextReload();
    nameFaqAudio(dir, UNPAID, 'en', `audio/${UNPAID}.en.ogg`);
    expect(await reload).toBe(false);
    expect(sink.text).toContain(`data/audio/${UNPAID}.en.ogg does not exist`);
    expect(h.app.bot.current.version).toBe(before);

    // The file arrives (saved as a temporary file, then renamed): served.
    reload = nextReload();
    const tmp = join(dir, 'data', 'audio', 'upload.tmp');
    writeFileSync(tmp, readFileSync(TONE));
    renameSync(tmp, join(dir, 'data', 'audio', `${UNPAID}.en.ogg`));
    expect(await reload).toBe(true);
    const served = h.app.bot.current;
    expect(served.ctx.faq.view(UNPAID, 'en')?.audio).toBe(`audio/${UNPAID}.en.ogg`);

    // Replaced by a file that is not OGG/Opus: rejected, the version served stays.
    reload = nextReload();
    const broken = Buffer.from(readFileSync(TONE));
    broken.write('XXXX', 0, 'latin1');
    putRecording(dir, `audio/${UNPAID}.en.ogg`, broken);
    expect(await reload).toBe(false);
    expect(sink.text).toContain('not OGG/Opus');
    expect(h.app.bot.current.version).toBe(served.version);

    // The last good copy in the database holds text only, and a restart on the broken file serves it.
    const snapshot = await h.app.store.latestContent();
    expect(snapshot?.version).toBe(served.version);
    expect(Object.keys(snapshot?.files ?? {}).some((p) => p.endsWith('.ogg'))).toBe(false);
    await w.close();
    w = undefined;
    h.restart();
    expect(h.app.bot.current.origin).toBe('last-good');
    expect(h.app.bot.current.ctx.faq.view(UNPAID, 'en')?.audio).toBe(`audio/${UNPAID}.en.ogg`);
  });
});
