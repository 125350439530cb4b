import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contentSettings } from '../src/runtime/content.js';
import { type Reloader, watchContent } from '../src/runtime/reload.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

/** Saves as vim, VS Code's atomic save, `sed -i` and `git pull` do: a new file renamed over the old one. */
function atomicSave(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function edit(file: string, from: string | RegExp, to: string, save = atomicSave): void {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  expect(next, `${from} in ${file}`).not.toBe(text);
  save(file, next);
}

/** Nothing here measures time: a change is live once a reload has happened and shows it. */
const GIVE_UP_MS = 20_000;

describe('hot reload', () => {
  let h: Harness | undefined;
  let w: Reloader | undefined;
  let dir = '';
  const reloads: boolean[] = [];
  let waiting: Array<() => void> = [];
  let sink = new LogSink('info');

  afterEach(async () => {
    await w?.close();
    h?.close();
    w = undefined;
    h = undefined;
    reloads.length = 0;
    waiting = [];
    sink = new LogSink('info');
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(contentDir = copyContent()): Promise<Harness> {
    dir = contentDir;
    h = new Harness({ CONTENT_DIR: dir });
    const cfg = h.config();
    w = watchContent(h.app.bot, h.app.store, cfg.paths, contentSettings(cfg), sink.logger, (ok) => {
      reloads.push(ok);
      for (const wake of waiting.splice(0)) wake();
    });
    await w.ready;
    return h;
  }

  /** Resolves after the first reload (counting those still to come) that leaves `check` true. */
  function live(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const giveUp = setTimeout(() => reject(new Error(`no reload made this live: ${what}`)), GIVE_UP_MS);
      const test = async () => {
        if (reloads.length && (await check())) {
          clearTimeout(giveUp);
          resolve();
        } else waiting.push(() => void test());
      };
      void test().catch(reject);
    });
  }

  /** Resolves at the next reload that fails. */
  function rejected(): Promise<void> {
    const seen = reloads.length;
    return new Promise((resolve, reject) => {
      const giveUp = setTimeout(() => reject(new Error('the broken edit was never reloaded')), GIVE_UP_MS);
      const test = () => {
        if (reloads.slice(seen).includes(false)) {
          clearTimeout(giveUp);
          resolve();
        } else waiting.push(test);
      };
      waiting.push(test);
    });
  }

  const covidText = (h: Harness) => h.app.bot.current.flows.get('covid')?.steps.topics;
  const covidMenu = async (h: Harness, user: string) => {
    await h.say(user, 'menu', 'es');
    return (await h.say(user, '2', 'es')).at(-1)?.text;
  };

  it('serves a flow saved by write-then-rename, and the next save too', async () => {
    const h = await start();
    const file = join(dir, 'flows', 'covid.yaml');
    edit(file, 'COVID-19: ¿qué quieres saber?', 'COVID-19: elige un tema');
    await live(async () => (await covidMenu(h, 'a')) === 'COVID-19: elige un tema', 'first flow save');
    edit(file, 'COVID-19: elige un tema', 'COVID-19: segundo cambio');
    await live(async () => (await covidMenu(h, 'b')) === 'COVID-19: segundo cambio', 'second flow save');
  });

  it('serves a locale file saved by write-then-rename, and the next save too', async () => {
    const h = await start();
    const file = join(dir, 'locales', 'es', 'common.json');
    const unknown = () => h.app.bot.current.ctx.t('es', 'common', 'faq.unknown');
    edit(file, 'No encontré una respuesta a eso.', 'Primera versión.');
    await live(() => unknown() === 'Primera versión.', 'first locale save');
    edit(file, 'Primera versión.', 'Segunda versión.');
    await live(() => unknown() === 'Segunda versión.', 'second locale save');
  });

  it('imports an FAQ file saved by write-then-rename into SQLite, and the next save too', async () => {
    const h = await start();
    const file = join(dir, 'data', 'faq', 'covid.vaccine.yaml');
    const title = () => h.app.bot.current.faq.get('covid.vaccine')?.es?.title;
    edit(file, /title: Vacuna COVID sin papeles/, 'title: Vacunas para todos');
    await live(() => title() === 'Vacunas para todos', 'first FAQ save');
    edit(file, 'title: Vacunas para todos', 'title: Vacunas gratis');
    await live(() => title() === 'Vacunas gratis', 'second FAQ save');
    const row = h.app.db.prepare("SELECT data FROM faq_entries WHERE id = 'covid.vaccine'").get() as {
      data: string;
    };
    expect(row.data).toContain('Vacunas gratis');
  });

  it('serves a new danger phrase and a new small talk word without a restart', async () => {
    const h = await start();
    await h.say('u', 'hola', 'es');
    expect((await h.say('u', 'la patrona me tira agua hirviendo')).some((l) => l.safety)).toBe(false);
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
    await live(
      async () => (await h.say('u', 'la patrona me tira agua hirviendo')).at(-1)?.safety === true,
      'a new danger phrase',
    );
    await live(
      async () => (await h.say('u', 'va que va')).some((l) => l.text.includes('Con gusto')),
      'new small talk',
    );
  });

  it('serves data/contacts.yaml saved by write-then-rename, and the next save too', async () => {
    const h = await start();
    const file = join(dir, 'data', 'contacts.yaml');
    const mexico = () => h.app.bot.current.ctx.contacts('MX', 'es') ?? '';
    edit(
      file,
      'Instituto Nacional de Migración (INM)\n    children: Sistema',
      'INM primera\n    children: Sistema',
    );
    await live(() => mexico().includes('INM primera'), 'first contacts save');
    edit(file, 'INM primera', 'INM segunda');
    await live(() => mexico().includes('INM segunda'), 'second contacts save');
    // A plain write in place goes live as well.
    edit(file, 'INM segunda', 'INM tercera', writeFileSync);
    await live(() => mexico().includes('INM tercera'), 'third contacts save, in place');
  });

  it('follows flows/ when the folder is swapped for another, and serves later edits in it', async () => {
    const h = await start();
    cpSync(join(dir, 'flows'), join(dir, 'flows.new'), { recursive: true });
    edit(join(dir, 'flows.new', 'covid.yaml'), 'COVID-19: ¿qué quieres saber?', 'COVID-19: carpeta nueva');
    renameSync(join(dir, 'flows'), join(dir, 'flows.old'));
    renameSync(join(dir, 'flows.new'), join(dir, 'flows'));
    await live(
      async () => covidText(h)?.type === 'menu' && (await covidMenu(h, 'a')) === 'COVID-19: carpeta nueva',
      'swap',
    );
    edit(join(dir, 'flows', 'covid.yaml'), 'COVID-19: carpeta nueva', 'COVID-19: después del cambio');
    await live(
      async () => (await covidMenu(h, 'b')) === 'COVID-19: después del cambio',
      'edit after the swap',
    );
  });

  it('watches a new kind of content folder under data/, through a swap and later edits', async () => {
    const h = await start();
    const kept = (path: string) => h.app.bot.current.tree.get(path)?.toString('utf8');
    mkdirSync(join(dir, 'data', 'glossary'));
    writeFileSync(join(dir, 'data', 'glossary', 'es.yaml'), 'words: [chamba]\n');
    await live(() => kept('data/glossary/es.yaml') === 'words: [chamba]\n', 'new folder');
    cpSync(join(dir, 'data', 'glossary'), join(dir, 'data', 'glossary.new'), { recursive: true });
    writeFileSync(join(dir, 'data', 'glossary.new', 'es.yaml'), 'words: [jale]\n');
    renameSync(join(dir, 'data', 'glossary'), join(dir, 'data', 'glossary.old'));
    renameSync(join(dir, 'data', 'glossary.new'), join(dir, 'data', 'glossary'));
    await live(() => kept('data/glossary/es.yaml') === 'words: [jale]\n', 'swapped folder');
    atomicSave(join(dir, 'data', 'glossary', 'es.yaml'), 'words: [pega]\n');
    await live(() => kept('data/glossary/es.yaml') === 'words: [pega]\n', 'edit after the swap');
  });

  it('follows a git checkout of another revision, and serves later edits', async () => {
    const content = copyContent();
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=Staff', '-c', 'user.email=staff@example.org', ...args], {
        cwd: content,
        stdio: 'pipe',
      });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'first');
    const first = git('rev-parse', 'HEAD').toString().trim();
    edit(join(content, 'flows', 'covid.yaml'), 'COVID-19: ¿qué quieres saber?', 'COVID-19: revisión dos');
    edit(
      join(content, 'data', 'faq', 'covid.vaccine.yaml'),
      /title: Vacuna COVID sin papeles/,
      'title: Vacuna revisión dos',
    );
    git('commit', '-qam', 'second');
    const h = await start(content);
    expect(await covidMenu(h, 'a')).toBe('COVID-19: revisión dos');
    git('checkout', '-q', first);
    await live(
      async () =>
        (await covidMenu(h, 'b')) === 'COVID-19: ¿qué quieres saber?' &&
        h.app.bot.current.faq.get('covid.vaccine')?.es?.title === 'Vacuna COVID sin papeles',
      'checkout',
    );
    edit(join(content, 'flows', 'covid.yaml'), 'COVID-19: ¿qué quieres saber?', 'COVID-19: tras el checkout');
    await live(
      async () => (await covidMenu(h, 'c')) === 'COVID-19: tras el checkout',
      'edit after the checkout',
    );
  });

  it('rejects a broken edit, keeps serving the last good version, logs it, and takes the fix', async () => {
    const h = await start();
    const before = h.app.bot.current;
    const labor = join(dir, 'flows', 'labor.yaml');
    const good = readFileSync(labor, 'utf8');
    const failed = rejected();
    writeFileSync(labor, 'id: labor\nstart: [oops\n');
    await failed;
    expect(h.app.bot.current).toBe(before);
    expect(w!.reload()).toBe(false);
    expect((await h.say('u', 'hola', 'es')).at(-1)).toMatchObject({ flow: 'main' });
    expect((await h.say('u', '1', 'es')).at(-1)).toMatchObject({ flow: 'labor', step: 'topics' });
    const rejection = sink.lines().find((l) => l.code === 'content.rejected');
    expect(rejection?.files).toContain('flows/labor.yaml');
    expect(String((rejection?.errors as string[] | undefined)?.[0])).toMatch(
      /^flows\/labor.yaml:\d+:\d+ error: /,
    );
    atomicSave(labor, good.replace('¿Qué te pasa?', '¿Qué te pasó?'));
    await live(() => h.app.bot.current !== before, 'the fix');
    const ok = sink
      .lines()
      .filter((l) => l.code === 'content.reloaded')
      .at(-1);
    expect(ok).toMatchObject({ files: expect.arrayContaining(['flows/labor.yaml']) });
    expect(ok?.version).toBe(h.app.bot.current.version);
  });

  it('sends a user whose step was removed to the start of the flow', async () => {
    const h = await start();
    await h.say('u', 'hola', 'es');
    await h.say('u', '1', 'es');
    expect((await h.say('u', '7', 'es')).at(-1)).toMatchObject({ flow: 'labor', step: 'more' });
    const file = join(dir, 'flows', 'labor.yaml');
    const text = readFileSync(file, 'utf8');
    const cut = text.slice(0, text.indexOf('  more:')).replace(/ {6}- id: more\n.*\n.*next: more\n/, '');
    writeFileSync(file, cut);
    await live(() => !h.app.bot.current.flows.get('labor')?.steps.more, 'step removed');
    expect((await h.say('u', '1', 'es')).at(-1)).toMatchObject({ flow: 'labor', step: 'topics' });
  });
});
