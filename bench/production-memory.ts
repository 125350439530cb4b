// The memory a server needs: the bot as systemd runs it (node dist/main.js), measured from
// outside through /proc. With Telegram alone, the node process; with WhatsApp Web, node and
// the whole Chromium process tree while WhatsApp Web loads. RSS counts pages shared between
// Chromium's processes once per process; PSS shares them out, so its sum is what they take.
//   node --import tsx bench/production-memory.ts [--whatsapp-seconds 90]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../src/config/env.js';
import { LANGS } from '../src/text/lang.js';
import { BotApiStandIn, textUpdate } from '../test/support/bot-api-standin.js';
import { mixedScript } from './scripts.js';

const args = process.argv.slice(2);
const waSeconds = Number(args[args.indexOf('--whatsapp-seconds') + 1] || 90);
const dir = mkdtempSync(join(tmpdir(), 'puente-rss-'));
const MB = 1024;

/** kB from a /proc file's "Key:   123 kB" line. */
function kb(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function tree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++)
    for (const [pid, ppid] of parents) if (ppid === out[i] && !out.includes(pid)) out.push(pid);
  return out;
}

function sample(root: number) {
  const pids = tree(root);
  return {
    processes: pids.length,
    nodeRss: kb(`/proc/${root}/status`, 'VmRSS') / MB,
    nodePeak: kb(`/proc/${root}/status`, 'VmHWM') / MB,
    treeRss: pids.reduce((s, p) => s + kb(`/proc/${p}/status`, 'VmRSS'), 0) / MB,
    treePss: pids.reduce((s, p) => s + kb(`/proc/${p}/smaps_rollup`, 'Pss'), 0) / MB,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x);

function startBot(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--enable-source-maps', join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DB_PATH: join(dir, `${Object.keys(env).join('-')}.db`),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function telegram() {
  const api = new BotApiStandIn();
  const root = await api.start();
  const bot = startBot({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root });
  await api.until(() => api.calls.some((c) => c.method === 'getUpdates'), 30_000);
  await sleep(3_000);
  const idle = sample(bot.pid!);
  // 1,000 people each take a short conversation (menus and free-text questions, three languages).
  const users = 1_000;
  let sent = 0;
  for (let step = 0; step < 4; step++) {
    for (let u = 0; u < users; u++) {
      const script = mixedScript(LANGS[u % 3]!, u);
      const text = script[step];
      if (text === undefined) continue;
      api.push(textUpdate(100_000 + u, text, LANGS[u % 3]));
      sent++;
    }
  }
  // Every message gets at least one reply.
  await api.until(() => api.sent().length >= sent, 300_000);
  await sleep(2_000);
  const busy = sample(bot.pid!);
  bot.kill('SIGTERM');
  await new Promise((r) => bot.on('exit', r));
  await api.stop();
  return {
    idleMB: round(idle.nodeRss),
    afterMB: round(busy.nodeRss),
    peakMB: round(busy.nodePeak),
    messages: sent,
  };
}

async function whatsapp() {
  const bot = startBot({ WHATSAPP_ENABLED: '1', WHATSAPP_SESSION_DIR: join(dir, 'wa', 'session') });
  const samples: Array<ReturnType<typeof sample>> = [];
  const end = Date.now() + waSeconds * 1000;
  while (Date.now() < end) {
    await sleep(500);
    samples.push(sample(bot.pid!));
  }
  bot.kill('SIGTERM');
  await new Promise((r) => bot.on('exit', r));
  const peak = (k: 'treeRss' | 'treePss' | 'nodeRss') => round(Math.max(...samples.map((s) => s[k])));
  const last = samples.at(-1)!;
  return {
    seconds: waSeconds,
    processesAtMost: Math.max(...samples.map((s) => s.processes)),
    nodePeakMB: peak('nodeRss'),
    treeRssPeakMB: peak('treeRss'),
    treePssPeakMB: peak('treePss'),
    treeRssEndMB: round(last.treeRss),
    treePssEndMB: round(last.treePss),
  };
}

try {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const result: Record<string, unknown> = { node: process.version, telegram: await telegram() };
  const browser = process.env.CHROME_PATH ?? '/usr/bin/chromium';
  result.whatsapp = existsSync(browser) ? await whatsapp() : `no browser at ${browser}`;
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
