/**
 * Text folding shared by command matching, option matching and FAQ search, so that
 * "Menú", "MENU" and "menu" are one word for every part of the bot.
 */

/** Control and invisible formatting characters never carry meaning from a chat client; tab and newline do. */
function invisible(code: number): boolean {
  return (
    (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2064) ||
    code === 0xfeff
  );
}

/** Removes control and invisible formatting characters and trims. */
export function clean(text: string): string {
  let out = '';
  for (const ch of text) if (!invisible(ch.codePointAt(0)!)) out += ch;
  return out.trim();
}

/** Lower case, no accents, letters and digits only, single spaces. */
export function fold(text: string): string {
  return clean(text)
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** True when the text has at least one letter or digit: emoji and punctuation alone say nothing we can act on. */
export function hasWords(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

const KEYCAP = /^([0-9])\uFE0F?\u20E3$/u;

/** The option number a message stands for: "2", "2.", "#2", " 2 ", "2️⃣". */
export function parseNumber(text: string): number | null {
  const t = clean(text);
  const keycap = KEYCAP.exec(t);
  if (keycap) return Number(keycap[1]);
  const m = /^#?\s*(\d{1,3})\s*[.)-]?$/.exec(t);
  return m ? Number(m[1]) : null;
}
