import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/runtime/log.js';
import { type Reloader, watchContent } from '../src/runtime/reload.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';

async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('hot reload', () => {
  let h: Harness | undefined;
  let w: Reloader | undefined;
  let dir = '';
  afterEach(() => {
    w?.close();
    h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function start() {
    dir = copyContent();
    h = new Harness({ CONTENT_DIR: dir });
    const cfg = h.config();
    w = watchContent(h.app.bot, h.app.db, cfg.paths, cfg.DEFAULT_LANG, createLogger('silent'));
    return h;
  }

  it('serves a valid edit of a flow within 2 seconds, without a restart', async () => {
    const h = start();
    const file = join(dir, 'flows', 'covid.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('COVID-19: ¿qué quieres saber?', 'COVID-19: elige un tema'),
    );
    const live = await eventually(
      () => h.say('u', 'hola', 'es') && h.say('u', '2', 'es').at(-1)?.text === 'COVID-19: elige un tema',
    );
    expect(live).toBe(true);
  });

  it('imports an FAQ edit into SQLite and answers with it', async () => {
    const h = start();
    const file = join(dir, 'data', 'faq', 'covid.vaccine.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/title: Vacuna COVID sin papeles/, 'title: Vacunas para todos'),
    );
    const live = await eventually(
      () => h.app.bot.current.faq.get('covid.vaccine')?.es?.title === 'Vacunas para todos',
    );
    expect(live).toBe(true);
    const row = h.app.db.prepare("SELECT data FROM faq_entries WHERE id = 'covid.vaccine'").get() as {
      data: string;
    };
    expect(row.data).toContain('Vacunas para todos');
  });

  it('serves a new danger phrase and a new small talk word without a restart', async () => {
    const h = start();
    h.say('u', 'hola', 'es');
    expect(h.say('u', 'la patrona me tira agua hirviendo').some((l) => l.safety)).toBe(false);
    const safety = join(dir, 'data', 'safety.yaml');
    writeFileSync(
      safety,
      readFileSync(safety, 'utf8').replace(
        '      - me pegan\n',
        '      - me pegan\n      - me tira agua hirviendo\n',
      ),
    );
    const talk = join(dir, 'data', 'smalltalk.yaml');
    writeFileSync(
      talk,
      readFileSync(talk, 'utf8').replace('thanks:\n  es: [', 'thanks:\n  es: [va que va, '),
    );
    expect(
      await eventually(() => h.say('u', 'la patrona me tira agua hirviendo').at(-1)?.safety === true, 3000),
    ).toBe(true);
    expect(await eventually(() => h.say('u', 'va que va').some((l) => l.text.includes('Con gusto')))).toBe(
      true,
    );
  });

  it('rejects a broken edit and keeps serving the last good version', async () => {
    const h = start();
    const before = h.app.bot.current;
    writeFileSync(join(dir, 'flows', 'labor.yaml'), 'id: labor\nstart: [oops\n');
    writeFileSync(join(dir, 'data', 'faq', 'covid.vaccine.yaml'), 'id: covid.vaccine\nes: {title: 3}\n');
    await new Promise((r) => setTimeout(r, 800));
    expect(h.app.bot.current).toBe(before);
    expect(w!.reload()).toBe(false);
    expect(h.say('u', 'hola', 'es').at(-1)).toMatchObject({ flow: 'main' });
    expect(h.say('u', '1', 'es').at(-1)).toMatchObject({ flow: 'labor', step: 'topics' });
  });

  it('sends a user whose step was removed to the start of the flow', async () => {
    const h = start();
    h.say('u', 'hola', 'es');
    h.say('u', '1', 'es');
    expect(h.say('u', '7', 'es').at(-1)).toMatchObject({ flow: 'labor', step: 'more' });
    const file = join(dir, 'flows', 'labor.yaml');
    const text = readFileSync(file, 'utf8');
    const cut = text.slice(0, text.indexOf('  more:')).replace(/ {6}- id: more\n.*\n.*next: more\n/, '');
    writeFileSync(file, cut);
    expect(await eventually(() => !h.app.bot.current.flows.get('labor')?.steps.more)).toBe(true);
    expect(h.say('u', '1', 'es').at(-1)).toMatchObject({ flow: 'labor', step: 'topics' });
  });
});
