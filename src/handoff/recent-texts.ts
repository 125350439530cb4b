import { convertToPlain } from '../channels/render.js';

/** At most this many recent messages are shared with staff, when the user agrees. */
export const HISTORY_KEPT = 10;
/** Longer than this, a line of the history is cut: staff see the gist. */
const LINE_MAX = 500;
/** Texts older than this are of no use to a person taking over, and are let go. */
const KEPT_MS = 60 * 60 * 1000;
/** A bound on memory in a busy hour: the chats quiet the longest are let go first. */
const CHATS_KEPT = 5_000;

export type HistoryLine = { from: 'user' | 'bot'; text: string };

/**
 * The last messages of each chat, held in memory only and never written anywhere, so that a
 * user who asks for a person can agree to share them. Lost on restart, dropped after an hour
 * and on "stop": fewer lines are then shared, never more.
 */
export class RecentTexts {
  private readonly chats = new Map<string, { at: number; lines: HistoryLine[] }>();

  constructor(private readonly now: () => number) {}

  add(key: string, lines: HistoryLine[]): void {
    if (!lines.length) return;
    const at = this.now();
    const chat = this.chats.get(key) ?? { at, lines: [] };
    this.chats.delete(key);
    chat.at = at;
    for (const l of lines) chat.lines.push({ from: l.from, text: convertToPlain(l.text).slice(0, LINE_MAX) });
    chat.lines.splice(0, Math.max(0, chat.lines.length - HISTORY_KEPT));
    this.chats.set(key, chat);
    // The oldest chats come first: let go of those nobody wrote in for an hour.
    for (const [k, c] of this.chats) {
      if (at - c.at <= KEPT_MS && this.chats.size <= CHATS_KEPT) break;
      this.chats.delete(k);
    }
  }

  list(key: string): HistoryLine[] {
    const chat = this.chats.get(key);
    if (!chat || this.now() - chat.at > KEPT_MS) return [];
    return chat.lines.map((l) => ({ ...l }));
  }

  drop(key: string): void {
    this.chats.delete(key);
  }
}
