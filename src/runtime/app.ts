import type { Logger } from 'pino';
import { ReplyPriority } from '../broadcast/priority.js';
import type { Config } from '../config/env.js';
import { AddressBox } from '../store/address.js';
import { type Db, openDb } from '../store/db.js';
import { Retention } from '../store/retention.js';
import { loadUserKeySecret, UserKeys } from '../store/user-key.js';
import { Bot } from './bot.js';
import { contentSettings } from './content.js';
import { loadStartContent } from './last-good.js';
import { createLogger } from './log.js';

export type App = {
  config: Config;
  db: Db;
  bot: Bot;
  log: Logger;
  retention: Retention;
  /** Replies before broadcasts: channels hold it while they answer someone. */
  priority: ReplyPriority;
  /** Stops the retention timer and closes the database. */
  close: () => void;
};

export type AppOptions = {
  /** The clock of stored times and of retention; tests move it. */
  now?: () => number;
};

/**
 * Opens the database, loads the user key secret (moving an old salt out of the database),
 * loads and checks the content (or the last good version, when the files are broken), and
 * starts the retention purge: now, and every hour.
 */
export function createApp(
  config: Config,
  log: Logger = createLogger(config.LOG_LEVEL),
  options: AppOptions = {},
): App {
  const db = openDb(config.paths.db);
  try {
    const secret = loadUserKeySecret(
      db,
      { configured: config.USER_KEY_SECRET ?? config.USER_KEY_SALT, file: config.SECRET_KEY_FILE },
      log,
    );
    const content = loadStartContent(config.paths, db, contentSettings(config), log);
    const bot = new Bot(db, content, new UserKeys(secret), new AddressBox(secret), log, options.now);
    const retention = new Retention(
      db,
      { sessions: bot.sessions, records: bot.records, forgetter: bot.forgetter },
      log,
      { days: config.RETENTION_DAYS, now: options.now },
    );
    retention.start();
    const close = () => {
      retention.stop();
      bot.close();
    };
    return { config, db, bot, log, retention, priority: new ReplyPriority(), close };
  } catch (e) {
    db.close();
    throw e;
  }
}
