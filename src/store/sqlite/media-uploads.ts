import type { Db } from './db.js';

/**
 * Recordings already uploaded to a channel: the id the channel gave the file, by the file's hash,
 * so a recording goes up once per bot and a re-recorded file (a new hash) goes up again. It holds
 * content only, never anything about a user, so forgetting a user leaves it alone.
 */
export class MediaUploads {
  private readonly select;
  private readonly upsert;
  private readonly remove;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.select = db.prepare(
      'SELECT media_id AS id, at FROM media_uploads WHERE channel = ? AND account = ? AND sha256 = ?',
    );
    this.upsert = db.prepare(
      `INSERT INTO media_uploads (channel, account, sha256, media_id, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET media_id = excluded.media_id, at = excluded.at`,
    );
    this.remove = db.prepare('DELETE FROM media_uploads WHERE channel = ? AND account = ? AND sha256 = ?');
  }

  /** The id of an upload, unless it is older than `maxAgeMs` (the Cloud API keeps media 30 days). */
  get(channel: string, account: string, sha256: string, maxAgeMs = Number.POSITIVE_INFINITY): string | null {
    const row = this.select.get(channel, account, sha256) as { id: string; at: number } | undefined;
    if (!row || this.now() - row.at > maxAgeMs) return null;
    return row.id;
  }

  put(channel: string, account: string, sha256: string, id: string): void {
    this.upsert.run(channel, account, sha256, id, this.now());
  }

  /** The channel no longer knows the id: the next send uploads the file again. */
  drop(channel: string, account: string, sha256: string): void {
    this.remove.run(channel, account, sha256);
  }
}
