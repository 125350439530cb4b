import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../src/config/env.js';

/** The bot as a real process (`node src/main.ts`), to be killed and started again on the same files. */
export class BotProcess {
  child?: ChildProcess;
  log = '';
  exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    private readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  start(extra: Record<string, string> = {}): void {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DB_PATH: join(this.dir, 'bot.db'),
        SECRET_KEY_FILE: join(this.dir, 'secret.key'),
        HOT_RELOAD: '0',
        LOG_LEVEL: 'warn',
        ...this.env,
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => {
      this.log += String(d);
    });
    child.stderr!.on('data', (d) => {
      this.log += String(d);
    });
    this.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
    this.child = child;
  }

  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child!.kill(signal);
    return this.exited!;
  }
}

/** Repeated messages next to each other once: a send in flight at a kill may go twice. */
export function collapse(texts: readonly string[]): string[] {
  return texts.filter((t, i) => i === 0 || t !== texts[i - 1]);
}
