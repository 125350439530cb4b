export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/**
 * The time of a counted record (event, feedback, unanswered question): the hour it happened in.
 * Records carry no user key; an exact time would let anyone match them to a session's last turn.
 */
export function recordTime(ms: number): number {
  return ms - (ms % HOUR);
}

/**
 * The time a session was last used, kept only for retention: to the minute, and never on the
 * hour, so it can never equal the time of any record.
 */
export function sessionTime(ms: number): number {
  const minute = ms - (ms % MINUTE);
  return minute % HOUR === 0 ? minute + MINUTE : minute;
}

/** The start of the UTC day, for the daily counts kept after events are purged. */
export function dayOf(ms: number): number {
  return ms - (ms % DAY);
}

/**
 * The time of a user's last message, kept for WhatsApp's 24-hour window: to the minute, rounded
 * down (the window then closes early, never late), and never on the hour, like a session's time.
 */
export function inboundTime(ms: number): number {
  const minute = ms - (ms % MINUTE);
  return minute % HOUR === 0 ? minute - MINUTE : minute;
}
