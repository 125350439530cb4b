/**
 * What to do about a refused send, decided from the Graph API's error code alone: the outbox
 * retries, holds or gives up by it, and delivery reports are logged with it. Pure: no clock, no I/O.
 */

/** A send the Graph API refused, or that got no answer. */
export type GraphFailure = {
  /** The HTTP status; 0 when no answer came (network error, timeout). Absent for a failed status callback. */
  httpStatus?: number;
  code?: number;
  subcode?: number;
  /** Meta's error type or title, e.g. "OAuthException". */
  title?: string;
  /** Meta's own words, which can quote ids: log them only under a scrubbed key. */
  detail?: string;
  /** From a Retry-After header. */
  retryAfterMs?: number;
};

export type ErrorAction =
  /** Throttled, or a passing fault on Meta's side or the network: back off and try again. */
  | { action: 'retry'; reason: 'throttled' | 'transient'; delayMs: number }
  /** More than 24 hours since the person's last message: only a template can reach them now. */
  | { action: 'hold'; reason: 'reengagement' }
  /** This message will never go: the number is not on WhatsApp, or the message itself is wrong. */
  | { action: 'fail'; reason: 'undeliverable' | 'rejected' }
  /** Nothing can be sent until the operator acts: the token, the app's permissions, the account. */
  | { action: 'stop'; reason: 'token' | 'permission' | 'account' };

/** Rate limits: the number's throughput, too many messages to one person, the account's limit. */
export const THROTTLE_CODES: ReadonlySet<number> = new Set([130429, 131056, 80007, 4]);
/** Meta's "try again later" errors. */
const TRANSIENT_CODES: ReadonlySet<number> = new Set([1, 2, 131000, 131016, 133004]);
export const REENGAGEMENT_CODE = 131047;
export const UNDELIVERABLE_CODE = 131026;
/** The access token is invalid or expired (190), or refused as such (0, AuthException). */
const TOKEN_CODES: ReadonlySet<number> = new Set([190, 0]);
/** Locked or blocked for policy, or a payment problem, on the business account. */
const ACCOUNT_CODES: ReadonlySet<number> = new Set([368, 131031, 131042]);
/** Too many messages to one person: Meta asks for about one message every 6 seconds. */
const PAIR_LIMIT_CODE = 131056;

export const BACKOFF = { firstMs: 2_000, pairFirstMs: 6_000, maxMs: 300_000 };

/** `attempt` counts the tries already made (1 after the first). */
export function classifyError(f: GraphFailure, attempt: number): ErrorAction {
  const code = f.code;
  const backoff = (first: number) =>
    f.retryAfterMs !== undefined
      ? Math.min(BACKOFF.maxMs, Math.max(0, f.retryAfterMs))
      : Math.min(BACKOFF.maxMs, first * 2 ** Math.max(0, attempt - 1));
  if (code !== undefined && THROTTLE_CODES.has(code)) {
    return {
      action: 'retry',
      reason: 'throttled',
      delayMs: backoff(code === PAIR_LIMIT_CODE ? BACKOFF.pairFirstMs : BACKOFF.firstMs),
    };
  }
  if (code === REENGAGEMENT_CODE) return { action: 'hold', reason: 'reengagement' };
  if (code === UNDELIVERABLE_CODE) return { action: 'fail', reason: 'undeliverable' };
  if ((code !== undefined && TOKEN_CODES.has(code)) || f.httpStatus === 401)
    return { action: 'stop', reason: 'token' };
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299))
    return { action: 'stop', reason: 'permission' };
  if (code !== undefined && ACCOUNT_CODES.has(code)) return { action: 'stop', reason: 'account' };
  if (f.httpStatus === 429)
    return { action: 'retry', reason: 'throttled', delayMs: backoff(BACKOFF.firstMs) };
  if (
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    f.httpStatus === 0 ||
    (f.httpStatus !== undefined && f.httpStatus >= 500)
  ) {
    return { action: 'retry', reason: 'transient', delayMs: backoff(BACKOFF.firstMs) };
  }
  return { action: 'fail', reason: 'rejected' };
}
