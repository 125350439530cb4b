import { z } from 'zod';

const Words = z.array(z.string().trim().min(1)).default([]);
const PerLang = z.strictObject({ es: Words, en: Words, ht: Words });

/**
 * data/smalltalk.yaml: the words of each kind of small talk, per language. An entry may be
 * several words ("muchas gracias") or an emoji ("👍").
 */
export const SmallTalkFileSchema = z.strictObject({
  greeting: PerLang,
  thanks: PerLang,
  ok: PerLang,
  yes: PerLang,
  no: PerLang,
  laugh: PerLang,
  bye: PerLang,
});
export type SmallTalkFile = z.infer<typeof SmallTalkFileSchema>;
export type ListedKind = keyof SmallTalkFile;
export const LISTED_KINDS = Object.keys(SmallTalkFileSchema.shape) as ListedKind[];
