import { z } from 'zod';
import { AudioRefSchema } from '../audio/ref.js';
import { IsoDateSchema, ReviewSchema } from '../content/review-schema.js';

export const FAQ_ID = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

/** The title is a button label. */
export const MAX_FAQ_TITLE = 30;

/**
 * A phrasing is a line of text; one added from a real question (cli faq teach) is written as
 * { text, learned: true } until a reviewer removes the mark. Search reads both as text.
 */
export const PhrasingSchema = z.union([
  z.string().trim().min(1),
  z
    .strictObject({ text: z.string().trim().min(1), learned: z.boolean().optional() })
    .transform((p) => p.text),
]);

export const FaqTextSchema = z.strictObject({
  /** A short label for a button: 30 characters at most. */
  title: z
    .string()
    .trim()
    .min(1)
    .max(MAX_FAQ_TITLE, `a title is a button label: keep it to ${MAX_FAQ_TITLE} characters`),
  question: z.string().trim().min(1),
  phrasings: z.array(PhrasingSchema).min(6, 'write at least 6 phrasings, the way people really type'),
  keywords: z.array(z.string().trim().min(1)).min(1),
  answer: z.string().trim().min(1),
  /** The answer recorded in this language, sent as a voice note after the text: audio/<id>.<lang>.ogg under data/. */
  audio: AudioRefSchema.optional(),
  /** Who checked this language's text, when, and against which Spanish text. */
  reviewed: ReviewSchema.optional(),
});
export type FaqText = z.infer<typeof FaqTextSchema>;

/**
 * One file per topic in data/faq/. The schema accepts a missing language so that the check can
 * count it per language; the check makes it an error, and the engine still falls back to Spanish.
 */
export const FaqEntrySchema = z
  .strictObject({
    id: z.string().regex(FAQ_ID, 'an FAQ id looks like "labor.unpaid-wages"'),
    related: z.array(z.string().regex(FAQ_ID)).default([]),
    /** The topic can mean danger: the answer offers the emergency contacts. */
    safety: z.boolean().default(false),
    /** Rules on this topic change: after this day the answer must be checked again. */
    review_by: IsoDateSchema.optional(),
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

/** The fields of an entry's language block that people read, in the order translators get them. */
export const FAQ_TEXT_FIELDS = ['title', 'question', 'answer'] as const;
export type FaqTextField = (typeof FAQ_TEXT_FIELDS)[number];

/**
 * The one variable an answer may hold: how to reach a person of the organisation that runs the
 * bot (ORG_NAME, ORG_CONTACT, ORG_HOURS), or, when none is configured, to ask whoever shared it.
 */
export const FAQ_ORG_PLACEHOLDER = '{{org}}';

/** Answers are read on a phone: about 120 words is the most a screen holds well. */
export const MAX_ANSWER_WORDS = 125;
export const MIN_PHRASINGS = 6;

/** Where a contact comes from, when someone last checked it, and whether staff confirmed it. */
const Provenance = {
  /** The institution, and where it publishes the name or number. */
  source: z.string().min(5, 'say which institution publishes it, and where'),
  checked: IsoDateSchema,
  /** false until staff confirm it; shown to users all the same, as the best known, and `cli check` warns. */
  verified: z.boolean(),
};

export const EMERGENCY_SERVICES = ['police', 'fire', 'ambulance'] as const;

/** One emergency number, with where it comes from. */
export const EmergencyNumberSchema = z.strictObject({
  number: z.string().regex(/^[0-9]{3,6}$/, 'an emergency number is 3 to 6 digits, e.g. "911"'),
  /** Left out when one number answers every emergency. */
  service: z.enum(EMERGENCY_SERVICES).optional(),
  ...Provenance,
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
  ...Provenance,
});
export type CountryContacts = z.infer<typeof CountryContactsSchema>;

export const ContactsFileSchema = z.strictObject({
  countries: z.record(
    z.string().regex(/^[A-Z]{2}$/, 'use the two-letter country code, e.g. MX'),
    CountryContactsSchema,
  ),
});
export type ContactsFile = z.infer<typeof ContactsFileSchema>;
