import type { Logger } from 'pino';
import { ReplyPriority } from '../broadcast/priority.js';
import type { Config } from '../config/env.js';
import { HandoffHost } from '../handoff/host.js';
import { handoffEnabled } from '../handoff/settings.js';
import { AddressBox } from '../store/address.js';
import type { ContentSnapshot, Store } from '../store/contract.js';
import { Retention } from '../store/retention.js';
import type { Db } from '../store/sqlite/db.js';
import { SqliteStore } from '../store/sqlite/store.js';
import { loadUserKeySecret, UserKeys } from '../store/user-key.js';
import { Bot } from './bot.js';
import { contentSettings } from './content.js';
import { loadStartContent } from './last-good.js';
import { createLogger } from './log.js';

export type App = {
  config: Config;
  store: Store;
  bot: Bot;
  log: Logger;
  retention: Retention;
  /** Replies before broadcasts: channels hold it while they answer someone. */
  priority: ReplyPriority;
  /** Talk to a person: set when a staff inbox is configured (STAFF_CHAT_ID). */
  handoff?: HandoffHost;
  /** Stops the retention and idle timers and closes the store. */
  close: () => Promise<void>;
};

/** The app on the embedded engine, whose database tools and tests can also read directly. */
export type SqliteApp = App & { store: SqliteStore; db: Db };

export type AppOptions = {
  /** The clock of stored times and of retention; tests move it. */
  now?: () => number;
};

/**
 * The app on the store DATABASE_URL names (PostgreSQL), or else on the SQLite file at DB_PATH.
 * The default needs no server.
 */
export async function openApp(
  config: Config,
  log: Logger = createLogger(config.LOG_LEVEL),
  options: AppOptions = {},
): Promise<App> {
  if (!config.DATABASE_URL) return createApp(config, log, options);
  const { PostgresStore } = await import('../store/postgres/store.js');
  const store = await PostgresStore.open(config.DATABASE_URL, { now: options.now });
  try {
    const lastGood = await store.latestContent();
    return assemble(store, null, config, log, options, () => lastGood);
  } catch (e) {
    await store.close();
    throw e;
  }
}

/**
 * The app on the SQLite file: opens the database, loads the user key secret (moving an old salt
 * out of the database), loads and checks the content (or the last good version, when the files
 * are broken), and starts the retention purge: now, and every hour.
 */
export function createApp(
  config: Config,
  log: Logger = createLogger(config.LOG_LEVEL),
  options: AppOptions = {},
): SqliteApp {
  const store = SqliteStore.open(config.paths.db, options.now);
  try {
    const app = assemble(store, store.db, config, log, options, () => store.snapshots.latest());
    // Purges on SQLite are synchronous, so none is ever in flight: closing is immediate, and a
    // caller that does not wait (a test that reopens the file) finds it closed.
    const close = async () => {
      void app.retention.close();
      app.handoff?.stopIdleTimer();
      store.closeSync();
    };
    return { ...app, store, db: store.db, close };
  } catch (e) {
    store.closeSync();
    throw e;
  }
}

function assemble(
  store: Store,
  legacy: Db | null,
  config: Config,
  log: Logger,
  options: AppOptions,
  lastGood: () => ContentSnapshot | null,
): App {
  const secret = loadUserKeySecret(
    legacy,
    { configured: config.USER_KEY_SECRET ?? config.USER_KEY_SALT, file: config.SECRET_KEY_FILE },
    log,
  );
  const content = loadStartContent(config.paths, store, contentSettings(config), log, lastGood);
  const bot = new Bot(store, content, new UserKeys(secret), new AddressBox(secret), log, options.now);
  const retention = new Retention(store, log, { days: config.RETENTION_DAYS, now: options.now });
  retention.start();
  let handoff: HandoffHost | undefined;
  if (handoffEnabled(config)) {
    handoff = new HandoffHost(bot, {
      staffLang: config.DEFAULT_LANG,
      idleHours: config.HANDOFF_IDLE_H,
      log,
      now: options.now,
    });
    bot.handoffSink = handoff;
    handoff.startIdleTimer();
  }
  const close = async () => {
    handoff?.stopIdleTimer();
    await retention.close();
    await store.close();
  };
  return { config, store, bot, log, retention, priority: new ReplyPriority(), handoff, close };
}
