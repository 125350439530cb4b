import { z } from 'zod';
import { LangSchema } from '../text/lang.js';

/**
 * A conversation with a person, as every engine stores it: who (a user key and a sealed channel
 * id, only while open), which topic of the staff inbox, and when. Never what was said.
 */
export const HandoffRowSchema = z.object({
  /** Random, chosen by the turn that opens it. */
  id: z.string(),
  user_key: z.string().nullable(),
  channel: z.string(),
  address: z.string().nullable(),
  pseudonym: z.string(),
  lang: LangSchema,
  thread: z.string().nullable(),
  opened_at: z.number(),
  /** 1 when staff first answered within an hour, 0 when later, null before any answer. */
  replied_fast: z.number().nullable(),
  last_at: z.number(),
  closed_at: z.number().nullable(),
});
export type HandoffRow = z.infer<typeof HandoffRowSchema>;
