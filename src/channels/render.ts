import type { OptionOut } from '../engine/types.js';

/**
 * Pure conversions from the engine's text (a small markup: *bold*, _italic_, and a
 * backslash before a markup character that came from a user) to what each channel shows.
 */

const ESCAPED = /\\([\\*_~`])/g;
const BOLD = /\*([^*\n]+)\*/g;
const ITALIC = /(^|[\s(])_([^_\n]+)_(?=$|[\s.,!?)])/g;

/** Placeholders keep escaped characters out of the way of the markup patterns. */
function protect(text: string): { text: string; restore: (s: string, map: (c: string) => string) => string } {
  const chars: string[] = [];
  const out = text.replace(ESCAPED, (_m, c: string) => {
    chars.push(c);
    return `\uE000${chars.length - 1}\uE001`;
  });
  return {
    text: out,
    restore: (s, map) => s.replace(/\uE000(\d+)\uE001/g, (_m, i: string) => map(chars[Number(i)]!)),
  };
}

/** Plain text for the console and for logs of tests: markup removed. */
export function convertToPlain(text: string): string {
  const p = protect(text);
  return p.restore(p.text.replace(BOLD, '$1').replace(ITALIC, '$1$2'), (c) => c);
}

const WORD_JOINER = '\u2060';

/** WhatsApp's own markup is the same; user text keeps its characters but cannot format. */
export function convertToWhatsApp(text: string): string {
  const p = protect(text);
  return p.restore(p.text, (c) => `${c}${WORD_JOINER}`);
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Telegram parse_mode HTML: everything escaped, then the markup turned into tags. */
export function convertToTelegramHtml(text: string): string {
  const p = protect(text);
  const html = escapeHtml(p.text).replace(BOLD, '<b>$1</b>').replace(ITALIC, '$1<i>$2</i>');
  return p.restore(html, (c) => escapeHtml(c));
}

/** Options as a numbered list under the text, for channels without buttons. */
export function numberedMenu(text: string, options: readonly OptionOut[]): string {
  if (!options.length) return text;
  return `${text}\n\n${options.map((o, i) => `${i + 1}. ${o.label}`).join('\n')}`;
}

/**
 * Splits a long text into parts of at most `max` characters, at paragraph breaks
 * where possible, then at line breaks, then at spaces.
 */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    let cut = window.lastIndexOf('\n\n');
    if (cut < max / 3) cut = window.lastIndexOf('\n');
    if (cut < max / 3) cut = window.lastIndexOf(' ');
    if (cut < max / 3) cut = max;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}
