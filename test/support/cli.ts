import { spawnSync } from 'node:child_process';
import { ROOT } from '../../src/config/env.js';

export type CliResult = { status: number | null; stdout: string; stderr: string; lines: unknown[] };

/** Runs `npm run --silent cli -- ...args` exactly as staff and held-out checks do. */
export function cli(args: string[], input = '', env: Record<string, string> = {}): CliResult {
  const r = spawnSync('npm', ['run', '--silent', 'cli', '--', ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    timeout: 60_000,
  });
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines };
}
