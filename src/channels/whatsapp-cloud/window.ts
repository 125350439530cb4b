/**
 * WhatsApp's customer service window: a business may write freely only within 24 hours of the
 * person's last message; after that, only an approved template. Pure: the caller gives the times.
 */

export const WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * The window is taken to close a little early: the stored time of the last message is rounded
 * to the minute, and a send takes a moment to reach Meta.
 */
export const WINDOW_MARGIN_MS = 2 * 60 * 1000;

/** When free-form messages stop being possible; null when the person never wrote. */
export function windowClosesAt(lastInbound: number | null | undefined): number | null {
  return lastInbound === null || lastInbound === undefined
    ? null
    : lastInbound + WINDOW_MS - WINDOW_MARGIN_MS;
}

export function windowOpen(lastInbound: number | null | undefined, now: number): boolean {
  const closes = windowClosesAt(lastInbound);
  return closes !== null && now < closes;
}

export type SendKind = 'free-form' | 'template';

/**
 * Whether a message may be attempted now. A free-form message outside the window is never
 * attempted: Meta would refuse it (131047), so it is held, for a template or the person's next message.
 */
export function sendDecision(
  kind: SendKind,
  lastInbound: number | null | undefined,
  now: number,
): 'send' | 'hold' {
  if (kind === 'template') return 'send';
  return windowOpen(lastInbound, now) ? 'send' : 'hold';
}
