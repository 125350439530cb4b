import type { Lang } from '../text/lang.js';

/**
 * Every key of locales/<lang>/common.json that the code uses. Code reads these strings only
 * through `CommonKey`, so the compiler holds the code to this list, and `cli check` holds every
 * language to it: a key the code needs can never be missing from a file.
 */
export const COMMON_KEYS = [
  'welcome',
  'help',
  'nav.back',
  'nav.menu',
  'nav.emergency',
  'hint.number',
  'hint.choose',
  'hint.question',
  'hint.faq',
  'faq.missing',
  'faq.fallbackNote',
  'faq.helpfulYes',
  'faq.helpfulNo',
  'faq.thanks',
  'faq.sorry',
  'faq.unknown',
  'faq.suggest',
  'stop.done',
  'error.loop',
  'end.default',
  'contacts.none',
  'contacts.header',
  'contacts.emergency',
  'contacts.labour',
  'contacts.migration',
  'contacts.children',
  'contacts.noEmergency',
  'media.textOnly',
  'whatsapp.listButton',
  'exit.done',
  'card.title',
  'card.now',
  'card.human',
  'card.contacts',
  'card.exit',
  'emergency.country',
  'emergency.region',
  'emergency.except',
  'emergency.withService',
  'emergency.service.police',
  'emergency.service.fire',
  'emergency.service.ambulance',
  'emergency.unknown',
  'smalltalk.greeting',
  'smalltalk.thanks',
  'smalltalk.ok',
  'smalltalk.yes',
  'smalltalk.no',
  'smalltalk.laugh',
  'smalltalk.bye',
  'smalltalk.emoji',
  'org.contact',
  'org.hours',
  'org.none',
  'subs.offer',
  'subs.helpButton',
  'subs.noTopics',
  'subs.choose',
  'subs.already',
  'subs.consent',
  'subs.yes',
  'subs.no',
  'subs.empty',
  'subs.list',
  'subs.leave',
  'subs.add',
  'subs.done',
  'subs.declined',
  'subs.left',
  'broadcast.fallbackNote',
  'broadcast.footer',
  'commandDescriptions.start',
  'commandDescriptions.menu',
  'commandDescriptions.language',
  'commandDescriptions.help',
  'commandDescriptions.stop',
  'commandDescriptions.exit',
  'commandDescriptions.subscriptions',
] as const;
export type CommonKey = (typeof COMMON_KEYS)[number];

/** Keys shown on buttons: they must fit a button label. */
export const BUTTON_KEYS = [
  'nav.back',
  'nav.menu',
  'nav.emergency',
  'faq.helpfulYes',
  'faq.helpfulNo',
  'card.human',
  'card.contacts',
  'card.exit',
  'subs.offer',
  'subs.helpButton',
  'subs.yes',
  'subs.no',
  'subs.add',
] as const satisfies readonly CommonKey[];

/** The i18next lookup of the content, as the engine's context gives it. */
type Lookup = (lang: Lang, ns: string, key: string, vars?: Record<string, string>) => string;

/** A string from locales/<lang>/common.json, by a key the code is allowed to use. */
export function commonText(t: Lookup, lang: Lang, key: CommonKey, vars?: Record<string, string>): string {
  return t(lang, 'common', key, vars);
}
