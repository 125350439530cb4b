import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { contentPaths } from '../src/config/env.js';
import { ContentError, formatProblem } from '../src/content/problems.js';
import { runTurn } from '../src/engine/run.js';
import { loadFlows } from '../src/flows/loader.js';
import { buildContent, readContentFiles } from '../src/runtime/content.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';

const BROKEN = join(import.meta.dirname, 'fixtures', 'broken-flows');
const expected = parse(readFileSync(join(BROKEN, 'expect.yaml'), 'utf8')) as Record<
  string,
  { line: number; code: string; message: string; hint: string }
>;

function withFlow(file: string): { dir: string; problems: ReturnType<typeof readContentFiles>['problems'] } {
  const dir = copyContent();
  copyFileSync(join(BROKEN, file), join(dir, 'flows', file));
  const files = readContentFiles(contentPaths(dir));
  return { dir, problems: files.problems };
}

describe('flow loader', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('loads the repository flows with no problem at all', () => {
    const { problems, flows } = loadFlows(join(import.meta.dirname, '..', 'flows'));
    expect(problems.map(formatProblem)).toEqual([]);
    expect([...flows.keys()]).toEqual(
      expect.arrayContaining(['main', 'labor', 'covid', 'trafficking', 'children', 'language']),
    );
  });

  it('has an expectation for every broken fixture', () => {
    const fixtures = readdirSync(BROKEN).filter((f) => f !== 'expect.yaml' && f !== 'unreachable.yaml');
    expect(Object.keys(expected).sort()).toEqual(fixtures.sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`reports ${file} at its line, with a fix`, () => {
      const { dir, problems } = withFlow(file);
      dirs.push(dir);
      const mine = problems.filter((p) => p.file === `flows/${file}` && p.severity === 'error');
      expect(mine.length, problems.map(formatProblem).join('\n')).toBeGreaterThan(0);
      const p = mine[0]!;
      expect({ line: p.line, code: p.code }).toEqual({ line: want.line, code: want.code });
      expect(p.message).toContain(want.message);
      expect(p.hint).toContain(want.hint);
      expect(formatProblem(p)).toMatch(new RegExp(`^flows/${file}:${want.line}:\\d+ error: `));
    });
  }

  it('warns about a step that cannot be reached, without refusing the flow', () => {
    const { dir, problems } = withFlow('unreachable.yaml');
    dirs.push(dir);
    const p = problems.find((x) => x.code === 'step.unreachable');
    expect(p).toMatchObject({ severity: 'warning', file: 'flows/unreachable.yaml', line: 6 });
    expect(problems.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('refuses to start the bot with a broken flow, naming the file and line', () => {
    const { dir } = withFlow('missing-step.yaml');
    dirs.push(dir);
    let error: unknown;
    try {
      new Harness({ CONTENT_DIR: dir }).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContentError);
    expect((error as Error).message).toContain('flows/missing-step.yaml:7:');
  });

  it('refuses a locale file with a missing translation key', () => {
    const dir = copyContent();
    dirs.push(dir);
    const path = join(dir, 'locales', 'ht', 'common.json');
    const data = JSON.parse(readFileSync(path, 'utf8'));
    delete data.faq.thanks;
    writeFileSync(path, JSON.stringify(data));
    expect(() => new Harness({ CONTENT_DIR: dir }).close()).toThrow(
      /locales\/ht\/common.json.*"faq.thanks" is missing/s,
    );
  });

  it('still stops a loop at run time, should one ever get past the check: tells the user and logs', () => {
    const { dir, problems } = withFlow('loop.yaml');
    dirs.push(dir);
    // The loader refuses it (see expect.yaml); the engine's own guard is tested on the content as read.
    expect(problems.filter((p) => p.severity === 'error').map((p) => p.code)).toEqual(['flow.cycle']);
    const content = buildContent(readContentFiles(contentPaths(dir)), { defaultLang: 'es', org: null });
    const first = runTurn(content.ctx, null, { start: 'en_loop' });
    const last = first.messages.at(-1)!;
    expect(last.text).toContain('something went wrong');
    expect(last.options.map((o) => o.id)).toEqual(['menu']);
    expect(first.messages.length).toBeLessThan(60);
    expect(first.effects).toContainEqual(expect.objectContaining({ type: 'log', code: 'flow.loop' }));
    const next = runTurn(content.ctx, first.session, { text: '1' });
    expect(next.messages.at(-1)).toMatchObject({ flow: 'main', step: 'home' });
  });
});
