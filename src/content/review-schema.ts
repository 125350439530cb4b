import { createHash } from 'node:crypto';
import { z } from 'zod';

/** A calendar day written as staff write it: 2026-03-31. */
export const IsoDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'write the date as YYYY-MM-DD, e.g. 2026-03-31')
  .refine(isRealDay, 'this day does not exist');

function isRealDay(day: string): boolean {
  const t = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === day;
}

/**
 * Who checked a text, when, and against which Spanish text: `source` is the fingerprint of the
 * Spanish text at review time, so a later change of the Spanish makes the review stale.
 */
export const ReviewSchema = z.strictObject({
  by: z.string().trim().min(1, 'say who reviewed it'),
  on: IsoDateSchema,
  // Any other value than today's fingerprint only makes the review stale, which is the safe side.
  source: z
    .string()
    .trim()
    .min(1, 'source is the fingerprint of the Spanish text that "cli content stale" shows')
    .max(64),
});
export type Review = z.infer<typeof ReviewSchema>;

/** The fingerprint of some Spanish texts: line endings and surrounding spaces do not count. */
export function sourceHash(texts: readonly string[]): string {
  const h = createHash('sha256');
  for (const t of texts) h.update(`${t.replace(/\r\n?/g, '\n').trim()}\u0000`);
  return h.digest('hex').slice(0, 8);
}
