import { createHmac, timingSafeEqual } from 'node:crypto';

/** Meta signs each webhook call: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-hub-signature-256';

export function signBody(raw: Uint8Array, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

/** Compares in constant time, so the time taken says nothing about how much of a forgery was right. */
export function validSignature(raw: Uint8Array, header: string | undefined, appSecret: string): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(raw, appSecret));
  const given = Buffer.from(header.trim().toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The same care for the verify token of the subscription handshake. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHmac('sha256', 'compare').update(given).digest();
  const b = createHmac('sha256', 'compare').update(expected).digest();
  return timingSafeEqual(a, b);
}
