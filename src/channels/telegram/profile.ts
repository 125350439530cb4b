import type { Bot as Grammy } from 'grammy';
import type { Translate } from '../../engine/context.js';
import type { App } from '../../runtime/app.js';
import { LANGS, type Lang } from '../../text/lang.js';

/** Telegram's limits for the text on a bot's empty chat screen and on its profile. */
export const MAX_DESCRIPTION = 512;
export const MAX_SHORT_DESCRIPTION = 120;
/**
 * Telegram has no Creole interface: Haitian users often run it in French, and others in
 * languages we do not speak. They see the default texts, so those carry all three languages,
 * Creole first.
 */
const DEFAULT_ORDER: readonly Lang[] = ['ht', 'es', 'en'];

export type ProfileText = { description: string; shortDescription: string };
export type Profile = { byLang: Record<Lang, ProfileText>; fallback: ProfileText };

/** The texts of the first screen, from locales/<lang>/common.json ("telegram" group). */
export function botProfile(t: Translate): Profile {
  const byLang = Object.fromEntries(
    LANGS.map((l) => [
      l,
      {
        description: t(l, 'common', 'telegram.description'),
        shortDescription: t(l, 'common', 'telegram.shortDescription'),
      },
    ]),
  ) as Record<Lang, ProfileText>;
  return {
    byLang,
    fallback: {
      description: DEFAULT_ORDER.map((l) => byLang[l].shortDescription).join('\n\n'),
      shortDescription: DEFAULT_ORDER.map((l) => t(l, 'common', 'telegram.tagline')).join(' · '),
    },
  };
}

/** What does not fit Telegram's limits, for the content check. */
export function profileProblems(
  profile: Profile,
): Array<{ lang: Lang | null; key: string; length: number; max: number }> {
  const out: Array<{ lang: Lang | null; key: string; length: number; max: number }> = [];
  const check = (lang: Lang | null, text: ProfileText, description: string, short: string) => {
    const d = [...text.description].length;
    const s = [...text.shortDescription].length;
    if (d > MAX_DESCRIPTION) out.push({ lang, key: description, length: d, max: MAX_DESCRIPTION });
    if (s > MAX_SHORT_DESCRIPTION) out.push({ lang, key: short, length: s, max: MAX_SHORT_DESCRIPTION });
  };
  for (const l of LANGS) check(l, profile.byLang[l], 'telegram.description', 'telegram.shortDescription');
  check(null, profile.fallback, 'telegram.shortDescription', 'telegram.tagline');
  return out;
}

/**
 * Sets the description (the empty chat's "What can this bot do?") and the short description
 * (the profile and shared links) per language, and the three-language default for everyone
 * else. A failure is logged and the bot goes on: these are welcome texts, not the service.
 */
export async function registerProfile(bot: Grammy, app: App): Promise<void> {
  const profile = botProfile(app.bot.current.ctx.t);
  const set = async (text: ProfileText, language_code?: Lang) => {
    const options = language_code ? { language_code } : {};
    await bot.api.setMyDescription(text.description, options);
    await bot.api.setMyShortDescription(text.shortDescription, options);
  };
  try {
    await set(profile.fallback);
    for (const lang of LANGS) await set(profile.byLang[lang], lang);
  } catch (e) {
    app.log.warn(
      { err: e instanceof Error ? e.message : String(e) },
      'setMyDescription failed; the bot works without its description',
    );
  }
}
