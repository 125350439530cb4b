import { z } from 'zod';

/** The languages every user-visible string must exist in. */
export const LANGS = ['es', 'en', 'ht'] as const;
export const LangSchema = z.enum(LANGS);
export type Lang = z.infer<typeof LangSchema>;

export const LANG_NAMES: Record<Lang, string> = { es: 'Spanish', en: 'English', ht: 'Haitian Creole' };

export function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}
