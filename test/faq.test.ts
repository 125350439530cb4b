import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { contentPaths } from '../src/config/env.js';
import { formatProblem } from '../src/content/problems.js';
import { runTurn } from '../src/engine/run.js';
import type { Session } from '../src/engine/types.js';
import { evaluate, isHeldOut, readEvalSet, split } from '../src/faq/eval.js';
import { loadFaqDir } from '../src/faq/loader.js';
import { importFaq, readFaq } from '../src/faq/store.js';
import { buildContent, readContentFiles } from '../src/runtime/content.js';
import { LANGS } from '../src/text/lang.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';

const ROOT = join(import.meta.dirname, '..');
const TOPICS = readFileSync(join(ROOT, 'docs', 'content-guide.md'), 'utf8');
const CATALOGUE_IDS = [...TOPICS.matchAll(/^\| ([a-z]+\.[a-z-]+) \|/gm)].map((m) => m[1]!);

describe('FAQ content', () => {
  const { entries, problems } = loadFaqDir(join(ROOT, 'data', 'faq'), ROOT);

  it('holds every catalogue topic, with exactly its id, in the three languages', () => {
    expect(CATALOGUE_IDS.length).toBe(28);
    expect([...entries.keys()].sort()).toEqual([...CATALOGUE_IDS].sort());
    for (const e of entries.values()) for (const l of LANGS) expect(e[l], `${e.id} ${l}`).toBeDefined();
  });

  it('has no problem at all: faq check is clean', () => {
    expect(problems.map(formatProblem)).toEqual([]);
  });

  it('gives each language a question, 6+ phrasings, keywords, a short answer and related topics', () => {
    for (const e of entries.values()) {
      expect(e.related.length, e.id).toBeGreaterThan(0);
      for (const l of LANGS) {
        const t = e[l]!;
        expect(t.phrasings.length, `${e.id} ${l}`).toBeGreaterThanOrEqual(6);
        expect(t.keywords.length, `${e.id} ${l}`).toBeGreaterThan(0);
        const words = t.answer.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
        expect(words, `${e.id} ${l}`).toBeLessThanOrEqual(125);
      }
    }
  });

  it('never gives a phone number or a web address in an answer', () => {
    for (const e of entries.values()) {
      for (const l of LANGS) {
        expect(e[l]!.answer, `${e.id} ${l}`).not.toMatch(/\d{3,}|https?:|www\./);
      }
    }
  });

  it('tells how to get urgent help wherever a topic can mean danger', () => {
    for (const id of [
      'trafficking.signs',
      'trafficking.get-help',
      'labor.workplace-accident',
      'help.emergency',
    ]) {
      const e = entries.get(id)!;
      expect(e.safety, id).toBe(true);
    }
    const urgent = { es: /emergencia/i, en: /emergency/i, ht: /ijans/i };
    for (const e of entries.values()) {
      if (!e.safety) continue;
      for (const l of LANGS) expect(e[l]!.answer, `${e.id} ${l}`).toMatch(urgent[l]);
    }
  });
});

describe('FAQ store in SQLite', () => {
  let h: Harness | undefined;
  const dirs: string[] = [];
  afterEach(() => {
    h?.close();
    h = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('imports idempotently, and removes an entry whose file was removed', () => {
    h = new Harness();
    const { entries } = loadFaqDir(join(ROOT, 'data', 'faq'));
    expect(importFaq(h.app.db, entries.values())).toEqual({
      added: 0,
      updated: 0,
      removed: 0,
      unchanged: 28,
    });
    const fewer = [...entries.values()].filter((e) => e.id !== 'help.human');
    expect(importFaq(h.app.db, fewer)).toMatchObject({ removed: 1, unchanged: 27 });
    expect(readFaq(h.app.db).has('help.human')).toBe(false);
    expect(importFaq(h.app.db, entries.values())).toMatchObject({ added: 1, unchanged: 27 });
  });

  it('refuses an entry that lacks a language; the engine would still answer in Spanish with a note', () => {
    const dir = copyContent();
    dirs.push(dir);
    const file = join(dir, 'data', 'faq', 'labor.minimum-wage.yaml');
    const data = parse(readFileSync(file, 'utf8'));
    delete data.ht;
    writeFileSync(file, stringify(data));
    expect(() => new Harness({ CONTENT_DIR: dir }).close()).toThrow(
      /data\/faq\/labor.minimum-wage.yaml:1:1 error: the Haitian Creole \(ht\) version is missing/,
    );
    // The fallback stays, as a second line of defence, for content built without the check.
    const files = readContentFiles(contentPaths(dir));
    const content = buildContent(files, { defaultLang: 'es', org: null });
    let session: Session | null = null;
    const say = (text: string) => {
      const r = runTurn(content.ctx, session, { text }, { lang: 'ht', sure: true });
      session = r.session;
      return r.messages;
    };
    say('bonjou');
    say('1');
    say('7');
    const out = say('1');
    expect(out.at(-1)?.faq).toBe('labor.minimum-wage');
    expect(out.at(-1)?.text).toMatch(/^\(Repons sa a poko egziste nan lang ou/);
    expect(out.at(-1)?.text).toContain(data.es.title);
  });

  it('records feedback per entry and unanswered questions without any user key', async () => {
    h = new Harness();
    await h.say('u', 'hola', 'es');
    await h.say('u', 'el patron no me paga la quincena', 'es');
    await h.say('u', '1', 'es');
    await h.say('u', 'como cocino arroz con pollo', 'es');
    const fb = h.app.db.prepare('SELECT faq, helpful, lang FROM feedback').all();
    expect(fb).toEqual([{ faq: 'labor.unpaid-wages', helpful: 1, lang: 'es' }]);
    const un = h.app.db.prepare('SELECT * FROM unanswered').all() as Array<Record<string, unknown>>;
    expect(un).toHaveLength(1);
    expect(Object.keys(un[0]!).sort()).toEqual(['at', 'id', 'lang', 'query']);
    expect(un[0]!.query).toBe('como cocino arroz con pollo');
  });

  it('gives a quick non-answer to a huge query, emoji or punctuation', () => {
    h = new Harness();
    const searcher = h.app.bot.current.searcher;
    for (const q of ['a'.repeat(10_000), 'salario '.repeat(2000), '😀🙏🔥', '?!.,;', '']) {
      const r = searcher.search(q, 'es');
      expect(r.answered, q.slice(0, 20)).toBe(q.startsWith('salario'));
    }
  });
});

describe('FAQ search quality on the evaluation set', () => {
  it('answers at least 85 % right at top-1 in every language, and rejects out-of-scope questions', () => {
    const h = new Harness();
    try {
      const report = evaluate(
        h.app.bot.current.searcher,
        readEvalSet(join(ROOT, 'test', 'eval', 'first-set.yaml')),
      );
      for (const l of LANGS) {
        expect(report.byLang[l].top1, `top-1 ${l}`).toBeGreaterThanOrEqual(0.85);
        expect(report.byLang[l].top3, `top-3 ${l}`).toBeGreaterThanOrEqual(0.9);
        expect(report.byLang[l].rejection, `rejection ${l}`).toBeGreaterThanOrEqual(0.9);
        expect(report.auto[l].top1, `auto top-1 ${l}`).toBeGreaterThanOrEqual(0.85);
      }
    } finally {
      h.close();
    }
  });
});

describe('FAQ search on messages as people type them (test/eval/queries.yaml)', () => {
  const set = readEvalSet(join(ROOT, 'test', 'eval', 'queries.yaml'));

  it('holds 150+ in-scope and 25+ out-of-scope queries per language, about 15 % code-switched', () => {
    for (const l of LANGS) {
      const mine = set.filter((q) => q.lang === l);
      const inScope = mine.filter((q) => q.expect !== null);
      expect(inScope.length, l).toBeGreaterThanOrEqual(150);
      expect(mine.length - inScope.length, l).toBeGreaterThanOrEqual(25);
      const mixed = mine.filter((q) => q.mixed).length / mine.length;
      expect(mixed, l).toBeGreaterThan(0.1);
      expect(mixed, l).toBeLessThan(0.2);
    }
    const { entries } = loadFaqDir(join(ROOT, 'data', 'faq'), ROOT);
    for (const q of set) if (q.expect !== null) expect(entries.has(q.expect), q.expect).toBe(true);
  });

  it('keeps the more tuning queries apart: none of them is a query of queries.yaml or of the first set', () => {
    const more = readEvalSet(join(ROOT, 'test', 'eval', 'tuning-extra.yaml'));
    expect(more.length).toBeGreaterThan(0);
    const first = readEvalSet(join(ROOT, 'test', 'eval', 'first-set.yaml'));
    const known = new Set([...set, ...first].map((q) => q.q.trim().toLowerCase()));
    for (const q of more) expect(known.has(q.q.trim().toLowerCase()), q.q).toBe(false);
    const { entries } = loadFaqDir(join(ROOT, 'data', 'faq'), ROOT);
    for (const q of more) if (q.expect !== null) expect(entries.has(q.expect), q.expect).toBe(true);
  });

  it('holds out a fixed 30 % chosen by the query text alone', () => {
    const held = split(set, 'held-out');
    expect(held.length / set.length).toBeGreaterThan(0.25);
    expect(held.length / set.length).toBeLessThan(0.35);
    expect(isHeldOut({ q: set[0]!.q })).toBe(isHeldOut({ q: `${set[0]!.q}` }));
    expect(split(set, 'tuning').length + held.length).toBe(set.length);
  });

  it('answers at least 90 % of the held-out split right at top-1 in every language, and refuses out-of-scope', () => {
    const h = new Harness();
    try {
      const report = evaluate(h.app.bot.current.searcher, split(set, 'held-out'), undefined, ['lang']);
      for (const l of LANGS) {
        expect(report.byLang[l].top1, `held-out top-1 ${l}`).toBeGreaterThanOrEqual(0.9);
        expect(report.byLang[l].top3, `held-out top-3 ${l}`).toBeGreaterThanOrEqual(0.95);
        expect(report.byLang[l].rejection, `held-out rejection ${l}`).toBeGreaterThanOrEqual(0.85);
      }
    } finally {
      h.close();
    }
  });
});
