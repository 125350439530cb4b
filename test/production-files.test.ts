import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema, loadConfig, ROOT } from '../src/config/env.js';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const VARIABLES = Object.keys(EnvSchema.shape);

describe('.env.example', () => {
  const text = read('.env.example');
  const lines = text.split('\n');
  const setting = /^#?\s?([A-Z][A-Z0-9_]+)=/;

  it('has every setting the bot reads, each under a comment that says what it is', () => {
    for (const name of VARIABLES) {
      const at = lines.findIndex((l) => setting.exec(l)?.[1] === name);
      expect(at, `${name} is missing from .env.example`).toBeGreaterThan(0);
      const above = lines[at - 1]!;
      expect(above.startsWith('# '), `${name} needs a comment line above it`).toBe(true);
      expect(setting.test(above), `${name} needs its own comment, not another setting`).toBe(false);
    }
    const named = lines.flatMap((l) => setting.exec(l)?.[1] ?? []);
    expect(named.filter((n) => !VARIABLES.includes(n))).toEqual([]);
    expect(new Set(named).size).toBe(named.length);
  });

  it('is a valid configuration as it stands, and with every commented default switched on', () => {
    expect(() => loadConfig(parseEnv(text), false)).not.toThrow();
    const uncommented = lines.map((l) => (setting.test(l) ? l.replace(/^#\s?/, '') : l)).join('\n');
    const all = parseEnv(uncommented);
    expect(Object.keys(all).sort()).toEqual([...VARIABLES].sort());
    expect(() => loadConfig(all, false)).not.toThrow();
  });

  it('matches the configuration table of the README', () => {
    const readme = read('README.md');
    for (const name of VARIABLES) expect(readme, name).toContain(`\`${name}\``);
  });
});

describe('systemd units', () => {
  for (const unit of ['deploy/puente.service', 'deploy/puente-studio.service']) {
    it(`${unit} restarts always, as a dedicated user, with the .env file and hardening`, () => {
      const text = read(unit);
      const value = (key: string) =>
        text
          .split('\n')
          .filter((l) => l.startsWith(`${key}=`))
          .map((l) => l.slice(key.length + 1));
      expect(value('Restart')).toEqual(['always']);
      expect(value('User')).toEqual(['puente']);
      expect(value('EnvironmentFile')).toEqual(['/opt/puente/.env']);
      expect(value('WorkingDirectory')).toEqual(['/opt/puente']);
      expect(value('NoNewPrivileges')).toEqual(['true']);
      expect(value('ProtectSystem')).toEqual(['strict']);
      expect(value('ReadWritePaths')[0]).toContain('/opt/puente/data/runtime');
      // V8 compiles JavaScript at run time: this would stop the bot and Chromium.
      expect(value('MemoryDenyWriteExecute')).toEqual([]);
      // What it runs exists in the repository.
      for (const command of [...value('ExecStartPre'), ...value('ExecStart')]) {
        const file = command.split(' ').find((w) => /\.(m?js|ts)$/.test(w))!;
        const source = file.startsWith('dist/')
          ? file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')
          : file;
        expect(existsSync(join(ROOT, source)), command).toBe(true);
      }
      // systemd's own check, where systemd is installed: no unknown keys, no bad values.
      const verify = spawnSync('systemd-analyze', ['verify', join(ROOT, unit)], { encoding: 'utf8' });
      if (!verify.error) expect(verify.stderr.trim(), verify.stderr).toBe('');
    });
  }
});

describe('Docker', () => {
  const dockerfile = read('Dockerfile');

  it('builds on Debian with Node, installs Debian Chromium, runs as a user with data/runtime as a volume', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(/^node:.*-(bookworm|trixie)(-slim)?$/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bchromium\b/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    // The browser is never downloaded: the file that says so is there before npm ci.
    expect(dockerfile.indexOf('.puppeteerrc.cjs')).toBeLessThan(dockerfile.indexOf('npm ci'));
    const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((m) => m[1]!);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
    expect(dockerfile).toMatch(/^VOLUME \[?"?\/app\/data\/runtime/m);
    expect(dockerfile).toContain('CHROME_PATH=/usr/bin/chromium');
    expect(dockerfile).toMatch(/node scripts\/build\.mjs/);
    expect(dockerfile).toMatch(/CMD \["node", "--enable-source-maps", "dist\/main\.js"\]/);
  });

  it('leaves out of the image what must not go in it', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const path of ['node_modules', 'data/runtime', '.env', '.git', 'dist'])
      expect(ignored).toContain(path);
  });

  it('compose runs the bot with its data on a volume, and offers the studio and PostgreSQL', () => {
    const compose = parse(read('compose.yaml')) as {
      services: Record<
        string,
        { volumes?: string[]; env_file?: string; restart?: string; profiles?: string[] }
      >;
    };
    const bot = compose.services.puente!;
    expect(bot.restart).toBe('always');
    expect(bot.env_file).toBe('.env');
    expect(bot.volumes).toContain('puente-data:/app/data/runtime');
    expect(compose.services.postgres?.profiles).toEqual(['postgres']);
    expect(compose.services.studio?.profiles).toEqual(['studio']);
    // The PostgreSQL store does not exist yet: the URL is only a comment.
    for (const line of read('compose.yaml')
      .split('\n')
      .filter((l) => l.includes('DATABASE_URL')))
      expect(line.trim().startsWith('#')).toBe(true);
  });
});
