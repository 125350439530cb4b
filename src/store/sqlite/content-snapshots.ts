import { z } from 'zod';
import type { ContentSnapshot } from '../contract.js';
import type { Db } from './db.js';

export type { ContentSnapshot };

const FilesSchema = z.record(z.string(), z.string());

/**
 * The last good content, so that the bot can start from it when the files on disk are broken.
 * Only the latest version is kept: it is the one worth serving.
 */
export class ContentSnapshots {
  private readonly latestStmt;
  private readonly versionStmt;
  private readonly insertStmt;
  private readonly pruneStmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.latestStmt = db.prepare(
      'SELECT version, saved_at, files FROM content_snapshots ORDER BY saved_at DESC LIMIT 1',
    );
    this.versionStmt = db.prepare('SELECT version FROM content_snapshots ORDER BY saved_at DESC LIMIT 1');
    this.insertStmt = db.prepare(
      'INSERT INTO content_snapshots (version, saved_at, files) VALUES (?, ?, ?) ON CONFLICT (version) DO UPDATE SET saved_at = excluded.saved_at, files = excluded.files',
    );
    this.pruneStmt = db.prepare('DELETE FROM content_snapshots WHERE version <> ?');
  }

  /** Keeps this version as the last good one; false when it already is. */
  save(version: string, files: Record<string, string>): boolean {
    const row = this.versionStmt.get() as { version: string } | undefined;
    if (row?.version === version) return false;
    this.db.transaction(() => {
      this.insertStmt.run(version, this.now(), JSON.stringify(files));
      this.pruneStmt.run(version);
    })();
    return true;
  }

  latest(): ContentSnapshot | null {
    const row = this.latestStmt.get() as { version: string; saved_at: number; files: string } | undefined;
    if (!row) return null;
    const files = FilesSchema.safeParse(JSON.parse(row.files));
    if (!files.success) return null;
    return { version: row.version, savedAt: row.saved_at, files: files.data };
  }
}
