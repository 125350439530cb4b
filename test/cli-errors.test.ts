import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { ROOT } from '../src/config/env.js';

const dir = mkdtempSync(join(tmpdir(), 'puente-cli-errors-'));
const env = {
  ...process.env,
  DB_PATH: join(dir, 'cli.db'),
  LOG_LEVEL: 'warn',
  TELEGRAM_BOT_USERNAME: 'PuenteBot',
};

/** One bad value per command, and what the one-line answer must name. */
const CASES: Array<{ command: string; args: string[]; allowed: RegExp }> = [
  { command: 'chat', args: ['chat', '--json', '--lang', 'fr'], allowed: /es, en, ht/ },
  { command: 'check', args: ['check', '--format', 'xml'], allowed: /Options: --json/ },
  { command: 'flows graph', args: ['flows', 'graph', 'covid', '--lang', 'fr'], allowed: /es, en, ht/ },
  { command: 'flows list', args: ['flows', 'list', '--lang', 'es'], allowed: /Options: none/ },
  {
    command: 'links',
    args: ['links', '--flow', 'nope', '--lang', 'es'],
    allowed: /Flows: .*labor.*trafficking/,
  },
  { command: 'report', args: ['report', '--since', 'last-month'], allowed: /30d, 12h or 2w/ },
  { command: 'faq search', args: ['faq', 'search', '--lang', 'fr', 'hola'], allowed: /es, en, ht, auto/ },
  { command: 'faq import', args: ['faq', 'import', '--dry-run'], allowed: /Options: none/ },
  { command: 'faq list', args: ['faq', 'list', '--lang', 'kreyol'], allowed: /es, en, ht/ },
  { command: 'faq show', args: ['faq', 'show', 'labor.dismissal', '--lang', 'fr'], allowed: /es, en, ht/ },
  { command: 'faq check', args: ['faq', 'check', '--strict'], allowed: /Options: --json/ },
  {
    command: 'faq teach',
    args: ['faq', 'teach', 'abc1234', 'labor.dismissal', '--dry-run'],
    allowed: /Options: --json/,
  },
  { command: 'eval', args: ['eval', '--set', join(dir, 'missing.yaml')], allowed: /no such file/ },
  { command: 'content stale', args: ['content', 'stale', '--lang', 'fr'], allowed: /es, en or ht/ },
  { command: 'content export', args: ['content', 'export', '--lang', 'fr'], allowed: /en or ht/ },
  {
    command: 'content import',
    args: ['content', 'import', 'sheet.csv', '--lang', 'fr'],
    allowed: /en or ht/,
  },
  { command: 'store copy', args: ['store', 'copy', '--to', 'mysql://db/puente'], allowed: /postgres:\/\// },
  {
    command: 'content review',
    args: ['content', 'review', 'labor.dismissal', '--lang', 'ht', '--by', 'Ana', '--on', 'yesterday'],
    allowed: /YYYY-MM-DD/,
  },
  {
    command: 'broadcast create',
    args: ['broadcast', 'create', '--topic', 'vaccines', '--file', 'message.yaml'],
    allowed: /Topics: covid, labour, trafficking, papers, courses/,
  },
  { command: 'broadcast preview', args: ['broadcast', 'preview', 'first'], allowed: /broadcast create/ },
  { command: 'broadcast send', args: ['broadcast', 'send', '0', '--dry-run'], allowed: /broadcast create/ },
  { command: 'broadcast status', args: ['broadcast', 'status', '1', '--watch'], allowed: /--json, --follow/ },
  { command: 'broadcast cancel', args: ['broadcast', 'cancel', '999'], allowed: /no broadcast 999/ },
];

/** More bad values where a flag takes a pattern rather than a list. */
const MORE: Array<{ args: string[]; allowed: RegExp }> = [
  { args: ['chat', '--json', '--start', 'fr_labor'], allowed: /es, en or ht/ },
  {
    args: ['links', '--flow', 'labor', '--lang', 'es', '--campaign', 'no spaces!'],
    allowed: /letters, digits/,
  },
  { args: ['links', '--flow', 'labor', '--lang', 'es', '--qr-for', 'sms'], allowed: /whatsapp, telegram/ },
  { args: ['links', '--flow', 'labor', '--lang', 'es', '--qr', 'poster.jpg'], allowed: /\.png or \.svg/ },
  { args: ['links', '--flow', 'labor'], allowed: /--lang/ },
  { args: ['report', '--since'], allowed: /--since/ },
  { args: ['broadcast', 'create', '--topic', 'covid'], allowed: /--file/ },
  {
    args: ['broadcast', 'create', '--topic', 'covid', '--file', join(dir, 'none.yaml')],
    allowed: /no such file/,
  },
  { args: ['broadcast', 'send', '12345'], allowed: /no broadcast 12345/ },
];

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'cli', '--', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function leafCommands(command: Command, prefix = ''): string[] {
  return command.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return c.commands.length ? leafCommands(c, `${name} `) : [name];
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a bad flag value gets one line with the allowed values and exit code 2', () => {
  it('has a case for every command', () => {
    const covered = new Set(CASES.map((c) => c.command));
    const missing = leafCommands(buildProgram()).filter((c) => !covered.has(c));
    expect(missing, `add a bad-value case for: ${missing.join(', ')}`).toEqual([]);
  });

  it.concurrent.each([...CASES, ...MORE.map((m) => ({ command: m.args.join(' '), ...m }))])(
    '$command',
    async ({ args, allowed }) => {
      const r = await run(args);
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(allowed);
      expect(r.stderr).not.toMatch(/\n\s+at |ZodError|node:internal/);
      expect(r.stdout).toBe('');
    },
    60_000,
  );
});
