import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens the one SQLite file. WAL lets readers run beside the writer; synchronous=NORMAL
 * under WAL keeps every committed turn safe from a crash of the process (a power cut may
 * lose the last turns, never corrupt the file).
 */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Checkpoint less often: pages written again and again between checkpoints are copied once.
  db.pragma('wal_autocheckpoint = 10000');
  // Keep the B-tree's upper pages in memory, so a turn costs the same with a million sessions.
  db.pragma('cache_size = -32000');
  db.pragma('foreign_keys = ON');
  // Deleted rows are overwritten with zeros, so "deleted" means gone from the file, not just unlinked.
  db.pragma('secure_delete = ON');
  if (migrate(db)) wipeWal(db);
  return db;
}

/**
 * Opens the bot's database for reading only, as staff tools that run beside the bot do:
 * they can never change it, nor create it. Null when the bot has not made it yet.
 */
export function openReadOnly(path: string): Db | null {
  if (path === ':memory:' || !existsSync(path)) return null;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Applies the missing migrations; true when there were any. */
export function migrate(db: Db): boolean {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return current < MIGRATIONS.length;
}

/**
 * Copies the WAL into the database and truncates it. Until then, the WAL still holds the old
 * versions of pages whose rows were deleted. False when a reader elsewhere kept it from finishing.
 */
export function wipeWal(db: Db): boolean {
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
  return !result || result.busy === 0;
}

export function getMeta(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(db: Db, key: string, value: string): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

export function deleteMeta(db: Db, key: string): void {
  db.prepare('DELETE FROM meta WHERE key = ?').run(key);
}
