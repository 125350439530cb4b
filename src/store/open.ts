import type { Config } from '../config/env.js';
import type { Store } from './contract.js';
import { SqliteStore } from './sqlite/store.js';

/** The configured store: PostgreSQL when DATABASE_URL is set, else the SQLite file at DB_PATH. */
export async function openStore(config: Pick<Config, 'DATABASE_URL' | 'paths'>): Promise<Store> {
  if (!config.DATABASE_URL) return SqliteStore.open(config.paths.db);
  const { PostgresStore } = await import('./postgres/store.js');
  return PostgresStore.open(config.DATABASE_URL);
}
