import type { Command } from '../engine/context.js';
import { COMMANDS } from '../engine/context.js';
import { LANGS } from '../text/lang.js';
import { fold } from '../text/normalize.js';
import type { Locales } from './locales.js';

/**
 * Global commands are understood in every language at any point, so the words of all
 * three languages go into one table. A message is a command only when it is the whole message.
 */
export function commandMatcher(locales: Locales): (text: string) => Command | null {
  const table = new Map<string, Command>();
  for (const lang of LANGS) {
    const words = locales[lang].common?.commands;
    if (!words || typeof words !== 'object' || Array.isArray(words)) continue;
    for (const command of COMMANDS) {
      const list = words[command];
      if (!Array.isArray(list)) continue;
      for (const w of list) {
        // "?" folds to nothing: it is matched below, and emoji must not become a command.
        const key = fold(w);
        if (key && !table.has(key)) table.set(key, command);
      }
    }
  }
  return (text) => {
    // "/menu" and "/menu@PuenteBot" are Telegram's way of saying "menu".
    const bare = text.trim().replace(/^\/([a-z]+)(@\w+)?$/i, '$1');
    // "?" and "??" ask for help; fold() would leave nothing of them.
    if (/^[?¿]+$/.test(bare.trim())) return 'help';
    return table.get(fold(bare)) ?? null;
  };
}
