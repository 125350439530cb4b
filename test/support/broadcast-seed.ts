import type { Harness } from './harness.js';

export const TEXTS = {
  es: 'Vacunas gratis el sábado en el centro de salud.',
  en: 'Free vaccines on Saturday at the health centre.',
  ht: 'Vaksen gratis samdi nan sant sante a.',
};

const LANGS = ['es', 'en', 'ht'] as const;

/** Subscribers written straight into the store, as many turns of "yes" would leave them. */
export function seedSubscribers(
  h: Harness,
  chats: readonly number[],
  topic = 'covid',
  channel = 'telegram',
): void {
  const { bot, db, store } = h.app;
  db.transaction(() => {
    chats.forEach((chat, i) => {
      store.subscriptions.addSync(bot.userKeyOf(channel, String(chat)), {
        topic,
        lang: LANGS[i % 3]!,
        channel,
        address: bot.addresses.seal(channel, String(chat)),
        how: 'command',
      });
    });
  })();
}

export function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_v, i) => first + i);
}
