import { z } from 'zod';

export const FAQ_ID = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

export const FaqTextSchema = z.strictObject({
  /** A short label for a button: 30 characters at most. */
  title: z.string().trim().min(1).max(30, 'a title is a button label: keep it to 30 characters'),
  question: z.string().trim().min(1),
  phrasings: z
    .array(z.string().trim().min(1))
    .min(6, 'write at least 6 phrasings, the way people really type'),
  keywords: z.array(z.string().trim().min(1)).min(1),
  answer: z.string().trim().min(1),
});
export type FaqText = z.infer<typeof FaqTextSchema>;

/** One file per topic in data/faq/. A missing language is served in Spanish with a note. */
export const FaqEntrySchema = z
  .strictObject({
    id: z.string().regex(FAQ_ID, 'an FAQ id looks like "labor.unpaid-wages"'),
    related: z.array(z.string().regex(FAQ_ID)).default([]),
    /** The topic can mean danger: the answer offers the emergency contacts. */
    safety: z.boolean().default(false),
    es: FaqTextSchema.optional(),
    en: FaqTextSchema.optional(),
    ht: FaqTextSchema.optional(),
  })
  .refine((e) => e.es || e.en || e.ht, { message: 'an entry needs at least one language: es, en or ht' });
export type FaqEntry = z.infer<typeof FaqEntrySchema>;

/**
 * The urgent-help line: an answer of a `safety: true` entry has a line starting with this mark,
 * saying how to get urgent help, in every language.
 */
export const URGENT_MARK = '🆘';

/** Answers are read on a phone: about 120 words is the most a screen holds well. */
export const MAX_ANSWER_WORDS = 125;
export const MIN_PHRASINGS = 6;

export const EMERGENCY_SERVICES = ['police', 'fire', 'ambulance'] as const;

/** One emergency number; `source` says where it comes from. */
export const EmergencyNumberSchema = z.strictObject({
  number: z.string().regex(/^[0-9]{3,6}$/, 'an emergency number is 3 to 6 digits, e.g. "911"'),
  /** Left out when one number answers every emergency. */
  service: z.enum(EMERGENCY_SERVICES).optional(),
  source: z.string().min(5),
  /** false until staff have confirmed the number; shown to users all the same, as it is the best known. */
  verified: z.boolean().optional(),
  note: z.string().optional(),
});
export type EmergencyNumber = z.infer<typeof EmergencyNumberSchema>;

export const CountryContactsSchema = z.strictObject({
  name: z.strictObject({ es: z.string(), en: z.string(), ht: z.string() }),
  aliases: z.array(z.string()).default([]),
  labour: z.string().min(1),
  migration: z.string().min(1),
  children: z.string().min(1),
  /** One number, or a list where police, fire and ambulance have their own. Read as a list. */
  emergency: z
    .union([EmergencyNumberSchema, z.array(EmergencyNumberSchema).min(1)])
    .optional()
    .transform((v): EmergencyNumber[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
  source: z.string().min(5),
});
export type CountryContacts = z.infer<typeof CountryContactsSchema>;

export const ContactsFileSchema = z.strictObject({
  countries: z.record(
    z.string().regex(/^[A-Z]{2}$/, 'use the two-letter country code, e.g. MX'),
    CountryContactsSchema,
  ),
});
export type ContactsFile = z.infer<typeof ContactsFileSchema>;
