import { z } from 'zod';

const Phrases = z.array(z.string().trim().min(1)).default([]);

/** One kind of danger, with its phrases in each language. */
export const SafetyCategorySchema = z.strictObject({
  /**
   * Short cries ("auxilio", "ede m") match only as the whole message; everything else is a
   * phrase of two words or more, found anywhere in a message.
   */
  whole_message: z.boolean().default(false),
  es: Phrases,
  en: Phrases,
  ht: Phrases,
});
export type SafetyCategory = z.infer<typeof SafetyCategorySchema>;

/** data/safety.yaml */
export const SafetyFileSchema = z.strictObject({
  /**
   * Everyday sayings that contain a danger phrase's words but are not danger: "se me pegó el
   * covid" (I caught covid) is not "me pega" (he hits me). Their words are set aside, wherever
   * they stand next to each other in a message, before the danger phrases are looked for.
   */
  not_danger: z.strictObject({ es: Phrases, en: Phrases, ht: Phrases }).default({ es: [], en: [], ht: [] }),
  categories: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_]*$/, 'a category name uses lower-case letters, digits and "_"'),
      SafetyCategorySchema,
    )
    .refine((c) => Object.keys(c).length > 0, { message: 'list at least one category of danger' }),
});
export type SafetyFile = z.infer<typeof SafetyFileSchema>;
