import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertToTranscript, type TranscriptLine } from '../../src/channels/console.js';
import { type Config, loadConfig } from '../../src/config/env.js';
import type { LangHint } from '../../src/engine/context.js';
import type { Event } from '../../src/engine/types.js';
import { type App, createApp } from '../../src/runtime/app.js';
import { createLogger } from '../../src/runtime/log.js';

/** A real SQLite file in a temp dir, the real content and the real engine. */
export class Harness {
  readonly dir: string;
  app: App;

  constructor(private readonly overrides: Record<string, string> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'puente-test-'));
    this.app = this.open();
  }

  config(): Config {
    return loadConfig(
      { DB_PATH: join(this.dir, 'puente.db'), LOG_LEVEL: 'silent', ...this.overrides },
      false,
    );
  }

  private open(): App {
    return createApp(this.config(), createLogger('silent'));
  }

  /** Closes the database and opens it again, as a new process would. */
  restart(): void {
    this.app.bot.close();
    this.app = this.open();
  }

  send(
    user: string,
    event: Event,
    hint?: LangHint,
    channel = 'console',
    updateId?: string,
  ): TranscriptLine[] {
    const reply = this.app.bot.handle({ channel, user, event, hint, updateId });
    return reply.messages.map((m) => convertToTranscript(m, reply.lang));
  }

  say(user: string, text: string, lang?: 'es' | 'en' | 'ht'): TranscriptLine[] {
    return this.send(user, { text }, lang ? { lang, sure: true } : undefined);
  }

  close(): void {
    this.app.bot.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
