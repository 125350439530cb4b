import type { Logger } from 'pino';
import type { Config } from '../config/env.js';
import { type Db, openDb } from '../store/db.js';
import { userKeyer } from '../store/user-key.js';
import { Bot } from './bot.js';
import { loadContent } from './content.js';
import { createLogger } from './log.js';

export type App = { config: Config; db: Db; bot: Bot; log: Logger };

/** Opens the database, loads and checks the content, and purges idle sessions. */
export function createApp(config: Config, log: Logger = createLogger(config.LOG_LEVEL)): App {
  const db = openDb(config.paths.db);
  try {
    const content = loadContent(config.paths, db, config.DEFAULT_LANG);
    const bot = new Bot(db, content, userKeyer(db, config.USER_KEY_SALT), log);
    const purged = bot.sessions.purgeIdle(config.RETENTION_DAYS);
    if (purged) log.info({ purged, days: config.RETENTION_DAYS }, 'idle sessions purged');
    return { config, db, bot, log };
  } catch (e) {
    db.close();
    throw e;
  }
}
