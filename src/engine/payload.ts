import { z } from 'zod';
import { type Lang, LangSchema } from '../text/lang.js';

/**
 * Deep-link payloads, shared by Telegram's /start parameter and WhatsApp's first message:
 * `<lang>_<flow>[_<campaign>]`, at most 64 characters from [A-Za-z0-9_-].
 */
export const PAYLOAD_MAX = 64;
const PAYLOAD = /^(es|en|ht)_([a-z][a-z0-9-]*)(?:_([A-Za-z0-9-]{1,40}))?$/;

export const CampaignSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,40}$/, 'a campaign tag uses letters, digits and "-", at most 40 characters');

export type Payload = { lang: Lang; flow: string; campaign: string | null };

export function parsePayload(text: string): Payload | null {
  const raw = text.trim().replace(/^\/?start\s+/i, '');
  if (raw.length > PAYLOAD_MAX) return null;
  const m = PAYLOAD.exec(raw);
  if (!m) return null;
  return { lang: LangSchema.parse(m[1]), flow: m[2]!, campaign: m[3] ?? null };
}

/** A payload as a word of a longer message: between spaces, brackets, quotes or punctuation. */
const EMBEDDED =
  /(?<=^|[\s([{"'“«¿¡:,;])(?:es|en|ht)_[a-z][a-z0-9-]*(?:_[A-Za-z0-9-]{1,40})?(?=$|[\s)\]}"'”».,!?:;])/g;

/**
 * The payload a message carries: the whole message, or one word of it, so that a link can
 * pre-fill a human sentence such as "Bonjou! Mwen vle enfòmasyon (ht_labor_leader-12)".
 */
export function findPayload(text: string): string | null {
  if (parsePayload(text)) return text;
  for (const m of text.matchAll(EMBEDDED)) if (parsePayload(m[0])) return m[0];
  return null;
}

export function formatPayload(p: Payload): string {
  const parts = [p.lang, p.flow];
  if (p.campaign) parts.push(CampaignSchema.parse(p.campaign));
  const out = parts.join('_');
  if (out.length > PAYLOAD_MAX || !PAYLOAD.test(out)) {
    throw new Error(
      `the payload "${out}" is over ${PAYLOAD_MAX} characters or has characters outside [A-Za-z0-9_-]`,
    );
  }
  return out;
}
