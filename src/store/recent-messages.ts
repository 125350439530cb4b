import { DAY } from './times.js';

/**
 * Telegram lets a bot delete a message in a private chat for 48 hours, WhatsApp about as long.
 * Ids are kept while their day is one of the last two before today, so every message of the last
 * 48 hours is kept (some a little older too: deleting those simply fails).
 */
export const RECENT_DAYS = 2;
/** The most ids kept per user: a quick exit must stay quick. */
export const RECENT_KEPT = 200;
/** Channel message ids: Telegram's numbers, the key part of a WhatsApp id. Nothing else is kept. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

type Entry = { id: string; day: number };

/**
 * "id@day,id@day": each id with the day it was seen (days since the epoch, UTC), oldest first.
 * A day is as fine as the limit needs, and says less than an hour about when someone wrote.
 */
function parse(raw: string): Entry[] {
  if (!raw) return [];
  return raw.split(',').flatMap((item) => {
    const at = item.lastIndexOf('@');
    const id = item.slice(0, at);
    const day = Number(item.slice(at + 1));
    return at > 0 && Number.isInteger(day) ? [{ id, day }] : [];
  });
}

function fresh(entries: Entry[], now: number): Entry[] {
  const today = Math.floor(now / DAY);
  return entries.filter((e) => today - e.day <= RECENT_DAYS);
}

/** The stored list with `ids` added and the expired ones dropped; the newest RECENT_KEPT stay. */
export function addRecent(raw: string, ids: readonly string[], now: number): string {
  const day = Math.floor(now / DAY);
  const added = ids.filter((id) => ID.test(id)).map((id) => ({ id, day }));
  return fresh([...parse(raw), ...added], now)
    .slice(-RECENT_KEPT)
    .map((e) => `${e.id}@${e.day}`)
    .join(',');
}

export function recentIds(raw: string, now: number): string[] {
  return fresh(parse(raw), now).map((e) => e.id);
}
