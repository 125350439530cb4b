import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../config/env.js';
import type { Table } from '../store/contract.js';
import { SqliteStore } from '../store/sqlite/store.js';
import { parseWith } from './args.js';
import { fail, writeJson } from './shared.js';

const PostgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/\S+$/, 'Use a PostgreSQL URL like postgres://user:password@host:5432/puente.');

/**
 * `cli store copy --to postgres://…`: moves a SQLite deployment to PostgreSQL. Sessions (with
 * their delivery marks and recent message ids), records, daily counts, conversations with a
 * person (open ones keep their sealed address), the last good content and the messages not sent
 * yet (still sealed: the new instances send them) are copied in one transaction; nothing is copied twice. The user keys stay valid as long as the
 * new instances use the same key file or USER_KEY_SECRET.
 */
export function registerStore(program: Command): void {
  const store = program.command('store').description('the database: copy a SQLite deployment to PostgreSQL');
  store
    .command('copy')
    .description('copy the SQLite database at DB_PATH into a PostgreSQL database (schema made if needed)')
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://…', parseWith(PostgresUrl))
    .option('--json', 'print JSON')
    .action(async (opts: { to: string; json?: boolean }) => {
      try {
        const config = loadConfig();
        // A missing file is not created empty; an older one is brought to the current schema first.
        if (config.paths.db === ':memory:' || !existsSync(config.paths.db))
          throw new ConfigError(`There is no SQLite database at ${config.paths.db}: check DB_PATH.`);
        const from = SqliteStore.open(config.paths.db);
        // Loaded only here: the other commands and the default start never load the driver.
        const { PostgresStore } = await import('../store/postgres/store.js');
        const to = await PostgresStore.open(opts.to);
        let copied: Record<Table, number>;
        try {
          copied = await to.load(from.dump());
        } finally {
          await to.close();
          from.closeSync();
        }
        if (opts.json) writeJson(copied);
        else
          process.stdout.write(
            `copied ${copied.sessions} sessions, ${copied.events} events, ${copied.feedback} feedback, ${copied.unanswered} unanswered questions, ${copied.dailyCounts} daily counts, ${copied.handoffs} conversations with a person, ${copied.contentSnapshots} content versions, ${copied.mediaUploads} uploaded recordings, ${copied.subscriptions} subscriptions, ${copied.broadcasts} broadcasts (${copied.broadcastDeliveries} deliveries) and ${copied.outbox} messages not sent yet\n`,
          );
      } catch (e) {
        fail(e);
      }
    });
}
