import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertToTranscript, type TranscriptLine } from '../../src/channels/console.js';
import { loadConfig } from '../../src/config/env.js';
import type { LangHint } from '../../src/engine/context.js';
import type { Event } from '../../src/engine/types.js';
import { type App, openApp } from '../../src/runtime/app.js';
import { createLogger } from '../../src/runtime/log.js';
import type { PostgresStore } from '../../src/store/postgres/store.js';
import { freshSchema } from './postgres.js';

/** The real app on PostgreSQL, in a schema of its own, with the real content and engine. */
export class PgHarness {
  private constructor(
    readonly app: App,
    readonly url: string,
    readonly dir: string,
    private readonly drop: () => Promise<void>,
    private env: Record<string, string> = {},
  ) {}

  static async open(): Promise<PgHarness> {
    const schema = await freshSchema();
    const dir = mkdtempSync(join(tmpdir(), 'puente-pg-test-'));
    return new PgHarness(await PgHarness.app(schema.url, dir), schema.url, dir, schema.drop);
  }

  private static app(url: string, dir: string, env: Record<string, string> = {}): Promise<App> {
    const config = loadConfig(
      {
        DATABASE_URL: url,
        SECRET_KEY_FILE: join(dir, 'secret.key'),
        DB_PATH: join(dir, 'unused.db'),
        LOG_LEVEL: 'silent',
        ...env,
      },
      false,
    );
    return openApp(config, createLogger('silent'));
  }

  get keyFile(): string {
    return join(this.dir, 'secret.key');
  }

  /**
   * Empties the tables: each case starts with no users. Settings other than the last case's
   * (a staff inbox, say) open the app again with them.
   */
  async reset(env: Record<string, string> = {}): Promise<void> {
    await (this.app.store as PostgresStore).pool.query(
      'TRUNCATE sessions, events, feedback, unanswered, daily_counts, handoffs, subscriptions, broadcast_deliveries, broadcasts',
    );
    if (JSON.stringify(env) === JSON.stringify(this.env)) return;
    this.env = env;
    await this.restart();
  }

  /** Closes the pool and opens the app again, as a new process would. */
  async restart(): Promise<void> {
    await this.app.close();
    (this as { app: App }).app = await PgHarness.app(this.url, this.dir, this.env);
  }

  async send(user: string, event: Event, hint?: LangHint, channel = 'console'): Promise<TranscriptLine[]> {
    const reply = await this.app.bot.handle({ channel, user, event, hint });
    return reply.messages.map((m) => convertToTranscript(m, reply.lang));
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
