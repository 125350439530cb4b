import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentError } from '../src/content/problems.js';
import { ContentSnapshots } from '../src/store/sqlite/content-snapshots.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

describe('last good content', () => {
  const dirs: string[] = [];
  let h: Harness | undefined;
  afterEach(() => {
    h?.close();
    h = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const content = () => {
    const dir = copyContent();
    dirs.push(dir);
    return dir;
  };
  const breakFiles = (dir: string) => {
    writeFileSync(join(dir, 'flows', 'labor.yaml'), 'id: labor\nstart: [oops\n');
    writeFileSync(join(dir, 'data', 'faq', 'covid.vaccine.yaml'), 'id: covid.vaccine\nes: {title: 3}\n');
  };

  it('keeps every content file of a version that loads, any kind, in the database', () => {
    const dir = content();
    // A kind of content file the code does not know yet is kept too.
    mkdirSync(join(dir, 'data', 'glossary'));
    writeFileSync(join(dir, 'data', 'glossary', 'es.yaml'), 'words: [chamba]\n');
    mkdirSync(join(dir, 'data', 'runtime'));
    writeFileSync(join(dir, 'data', 'runtime', 'notes.yaml'), 'not: content\n');
    h = new Harness({ CONTENT_DIR: dir });
    const snapshot = new ContentSnapshots(h.app.db).latest();
    expect(snapshot?.version).toBe(h.app.bot.current.version);
    expect(Object.keys(snapshot!.files)).toEqual(
      expect.arrayContaining([
        'flows/main.yaml',
        'locales/ht/common.json',
        'data/faq/help.human.yaml',
        'data/contacts.yaml',
        'data/glossary/es.yaml',
      ]),
    );
    expect(Object.keys(snapshot!.files).some((f) => f.startsWith('data/runtime'))).toBe(false);
    expect(snapshot!.files['flows/main.yaml']).toBe(readFileSync(join(dir, 'flows', 'main.yaml'), 'utf8'));
  });

  it('starts on the last good version when the files on disk are broken, and says so loudly', async () => {
    const dir = content();
    h = new Harness({ CONTENT_DIR: dir });
    const good = h.app.bot.current.version;
    breakFiles(dir);
    const sink = new LogSink('info');
    h.restart(sink.logger);
    expect(h.app.bot.current.origin).toBe('last-good');
    expect(h.app.bot.current.version).toBe(good);
    expect((await h.say('u', 'hola', 'es')).at(-1)).toMatchObject({ flow: 'main', step: 'home' });
    expect((await h.say('u', '1', 'es')).at(-1)).toMatchObject({ flow: 'labor', step: 'topics' });
    const loud = sink.lines().find((l) => l.code === 'content.last_good');
    expect(loud).toMatchObject({ level: 50, version: good });
    expect(String(loud?.msg)).toMatch(/THE CONTENT FILES HAVE \d+ ERROR/);
    expect(loud?.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^flows\/labor.yaml:\d+:\d+ error: /),
        expect.stringMatching(/^data\/faq\/covid.vaccine.yaml:\d+:\d+ error: /),
      ]),
    );
  });

  it('refuses to start with the file:line errors when there is no last good version', () => {
    const dir = content();
    breakFiles(dir);
    let error: unknown;
    try {
      h = new Harness({ CONTENT_DIR: dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContentError);
    expect((error as Error).message).toMatch(/flows\/labor.yaml:\d+:\d+ error: /);
    expect((error as Error).message).toMatch(/data\/faq\/covid.vaccine.yaml:\d+:\d+ error: /);
  });

  it('keeps only versions that load: a rejected edit never replaces the last good one', () => {
    const dir = content();
    h = new Harness({ CONTENT_DIR: dir });
    const first = h.app.bot.current.version;
    const file = join(dir, 'flows', 'covid.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('¿qué quieres saber?', '¿qué necesitas?'));
    h.restart();
    const second = h.app.bot.current.version;
    expect(second).not.toBe(first);
    expect(new ContentSnapshots(h.app.db).latest()?.version).toBe(second);
    breakFiles(dir);
    h.restart();
    expect(h.app.bot.current.origin).toBe('last-good');
    expect(new ContentSnapshots(h.app.db).latest()?.version).toBe(second);
    expect(h.app.db.prepare('SELECT count(*) AS n FROM content_snapshots').get()).toEqual({ n: 1 });
  });
});
