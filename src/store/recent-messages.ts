import type { Db } from './db.js';

/** Telegram lets a bot delete a message in a private chat for 48 hours; WhatsApp about as long. */
export const RECENT_HOURS = 48;
/** The most ids kept per user: a quick exit must stay quick. */
export const RECENT_KEPT = 200;
const HOUR_MS = 3_600_000;
/** Channel message ids: Telegram's numbers, the key part of a WhatsApp id. Nothing else is kept. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

type Entry = { id: string; hour: number };

/**
 * "id@hour,id@hour": each id with the hour it was seen (hours since the epoch), oldest first.
 * An hour is as fine as the 48-hour limit needs, and says little about when someone wrote.
 */
function parse(raw: string): Entry[] {
  if (!raw) return [];
  return raw.split(',').flatMap((item) => {
    const at = item.lastIndexOf('@');
    const id = item.slice(0, at);
    const hour = Number(item.slice(at + 1));
    return at > 0 && Number.isInteger(hour) ? [{ id, hour }] : [];
  });
}

/** Only ids that can still be deleted: younger than 48 hours by the hour they were seen. */
function fresh(entries: Entry[], now: number): Entry[] {
  const hour = Math.floor(now / HOUR_MS);
  return entries.filter((e) => hour - e.hour < RECENT_HOURS);
}

/** The stored list with `ids` added and the expired ones dropped; the newest RECENT_KEPT stay. */
export function addRecent(raw: string, ids: readonly string[], now: number): string {
  const hour = Math.floor(now / HOUR_MS);
  const added = ids.filter((id) => ID.test(id)).map((id) => ({ id, hour }));
  return fresh([...parse(raw), ...added], now)
    .slice(-RECENT_KEPT)
    .map((e) => `${e.id}@${e.hour}`)
    .join(',');
}

export function recentIds(raw: string, now: number): string[] {
  return fresh(parse(raw), now).map((e) => e.id);
}

/**
 * The ids of a chat's recent messages, the user's and the bot's, kept beside the session
 * (like its delivery marks) and not inside it: the engine never sees them.
 */
export class RecentMessages {
  private readonly readStmt;
  private readonly writeStmt;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.readStmt = db.prepare<[string], string>('SELECT recent FROM sessions WHERE user_key = ?').pluck();
    this.writeStmt = db.prepare('UPDATE sessions SET recent = ? WHERE user_key = ?');
  }

  /** Adds ids to a user's list; a user without a session (just forgotten) keeps nothing. */
  append(key: string, ids: readonly string[]): void {
    if (!ids.length) return;
    const raw = this.readStmt.get(key);
    if (raw === undefined) return;
    this.writeStmt.run(addRecent(raw, ids, this.now()), key);
  }

  /** The ids that can still be deleted, oldest first. */
  list(key: string): string[] {
    const raw = this.readStmt.get(key);
    return raw === undefined ? [] : recentIds(raw, this.now());
  }
}
