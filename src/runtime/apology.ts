/** A user whose turns cannot be saved gets one apology in this time, not one per message or redelivery. */
export const APOLOGY_EVERY_MS = 10 * 60_000;

/** Says whether a chat may get the storage-fault apology now; at most once per APOLOGY_EVERY_MS. */
export class ApologyLimiter {
  private readonly last = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  allow(chat: string): boolean {
    const now = this.now();
    if ((this.last.get(chat) ?? Number.NEGATIVE_INFINITY) > now - APOLOGY_EVERY_MS) return false;
    // Bounded: during a long fault with many users, forgetting who had one costs a second apology.
    if (this.last.size > 10_000) this.last.clear();
    this.last.set(chat, now);
    return true;
  }
}
