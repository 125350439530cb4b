import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { convertToTranscript, type TranscriptLine } from '../../src/channels/console.js';
import { type Config, loadConfig } from '../../src/config/env.js';
import type { LangHint } from '../../src/engine/context.js';
import type { Event } from '../../src/engine/types.js';
import { type AppOptions, createApp, type SqliteApp } from '../../src/runtime/app.js';
import { createLogger } from '../../src/runtime/log.js';

export type HarnessOptions = AppOptions & { log?: Logger };

/** A real SQLite file and its key file in a temp dir, the real content and the real engine. */
export class Harness {
  readonly dir: string;
  app: SqliteApp;

  constructor(
    private readonly overrides: Record<string, string> = {},
    private readonly options: HarnessOptions = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'puente-test-'));
    this.app = this.open();
  }

  get dbPath(): string {
    return join(this.dir, 'puente.db');
  }

  get keyFile(): string {
    return join(this.dir, 'secret.key');
  }

  config(): Config {
    return loadConfig(
      { DB_PATH: this.dbPath, SECRET_KEY_FILE: this.keyFile, LOG_LEVEL: 'silent', ...this.overrides },
      false,
    );
  }

  private open(log = this.options.log ?? createLogger('silent')): SqliteApp {
    return createApp(this.config(), log, this.options);
  }

  /** Closes the database and opens it again, as a new process would (optionally with another logger). */
  restart(log?: Logger): void {
    this.app.close();
    this.app = this.open(log);
  }

  async send(
    user: string,
    event: Event,
    hint?: LangHint,
    channel = 'console',
    updateId?: string,
  ): Promise<TranscriptLine[]> {
    const reply = await this.app.bot.handle({ channel, user, event, hint, updateId });
    return reply.messages.map((m) => convertToTranscript(m, reply.lang));
  }

  say(user: string, text: string, lang?: 'es' | 'en' | 'ht'): Promise<TranscriptLine[]> {
    return this.send(user, { text }, lang ? { lang, sure: true } : undefined);
  }

  close(): void {
    this.app.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
