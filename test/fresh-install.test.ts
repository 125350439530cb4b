import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../src/config/env.js';

type Manifest = {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  engines: { node: string };
};
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** The environment of a person at a shell: nothing inherited from the npm that runs the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

describe('production install', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puente-fresh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('npm start runs no development tool', () => {
    // Every command npm start runs, following `npm run <script>` to the script it names.
    const commands: string[] = [];
    const follow = (name: string) => {
      const script = manifest.scripts[name];
      if (!script) return;
      commands.push(script);
      for (const [, next] of script.matchAll(/npm run (?:--\S+ )*([\w:-]+)/g)) follow(next!);
    };
    follow('prestart');
    follow('start');
    const devTools = Object.keys(manifest.devDependencies).flatMap((dep) => {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', dep, 'package.json'), 'utf8')) as {
        bin?: string | Record<string, string>;
      };
      const bins = typeof pkg.bin === 'string' ? [dep.split('/').at(-1)!] : Object.keys(pkg.bin ?? {});
      return [dep, ...bins];
    });
    for (const command of commands) {
      for (const tool of devTools) expect(command.split(/[\s;&|()]+/), command).not.toContain(tool);
    }
    expect(manifest.dependencies.esbuild).toBeDefined();
  });

  it('accepts Node 20, 22 and 24', () => {
    const range = manifest.engines.node;
    for (const major of [20, 22, 24]) expect(range).toMatch(new RegExp(`\\^${major}\\.`));
    expect(range).not.toMatch(/<\s*21/);
  });

  it(
    'npm ci --omit=dev && npm start work in a fresh clone: the console bot answers',
    async () => {
      const clone = join(dir, 'puente');
      const git = spawnSync('git', ['clone', '--quiet', ROOT, clone], { encoding: 'utf8' });
      expect(git.status, git.stderr).toBe(0);
      const browserCache = join(homedir(), '.cache', 'puppeteer');
      const hadBrowsers = existsSync(browserCache);

      // Several minutes where better-sqlite3 has to be compiled (no prebuilt binary offline).
      const install = spawnSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: clone,
        env: cleanEnv({}),
        encoding: 'utf8',
        timeout: 15 * 60_000,
      });
      expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
      // No package that only development needs was installed.
      const lock = JSON.parse(readFileSync(join(clone, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const devOnly = Object.keys(lock.packages).filter((path) => path && lock.packages[path]!.dev === true);
      expect(devOnly).toContain('node_modules/vitest');
      expect(devOnly.filter((path) => existsSync(join(clone, path)))).toEqual([]);
      // Installing never downloads a browser.
      if (!hadBrowsers) expect(existsSync(browserCache)).toBe(false);

      const child = spawn('npm', ['start'], {
        cwd: clone,
        env: cleanEnv({ DB_PATH: join(dir, 'fresh.db'), HOT_RELOAD: '0', LOG_LEVEL: 'warn' }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (d) => {
        err += String(d);
      });
      // The first screen asks the language; "1" (Español) must bring the main menu.
      const asked = new Promise<void>((resolve) => {
        child.stdout.on('data', (d) => {
          out += String(d);
          if (out.includes('Chwazi lang ou')) resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Never hang the suite: a bot that says nothing for two minutes has failed.
      const stuck = setTimeout(() => child.kill('SIGKILL'), 120_000);
      await Promise.race([asked, exited]);
      child.stdin.write('1\n');
      await Promise.race([
        exited,
        new Promise<void>((resolve) => {
          const check = () => (out.includes('Trabajo y justicia laboral') ? resolve() : undefined);
          child.stdout.on('data', check);
          check();
        }),
      ]);
      child.stdin.end();
      const code = await exited;
      clearTimeout(stuck);
      expect(out, err).toContain('¿Sobre qué tema necesitas información?');
      expect(code, err).toBe(0);
      expect(existsSync(join(clone, 'dist', 'main.js'))).toBe(true);
    },
    20 * 60_000,
  );
});
