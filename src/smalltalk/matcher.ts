import type { SmallTalk, SmallTalkKind } from '../engine/context.js';
import { LANGS, type Lang } from '../text/lang.js';
import { fold } from '../text/normalize.js';
import { LISTED_KINDS, type ListedKind, type SmallTalkFile } from './schema.js';

/** Longer messages are not small talk: they say something. */
const MAX_WORDS = 6;
/** When one message holds several kinds ("si gracias"), the one that answers a question wins. */
const PRECEDENCE: ListedKind[] = ['yes', 'no', 'thanks', 'greeting', 'bye', 'ok', 'laugh'];

type Entry = { kind: ListedKind; langs: Set<Lang> };

const PICTOGRAPH = /\p{Extended_Pictographic}/u;
/** Variation selectors, skin tones, joiners and spaces say nothing about which emoji it is. */
const EMOJI_NOISE = /\s|\uFE0E|\uFE0F|\u200D|[\u{1F3FB}-\u{1F3FF}]/gu;

/**
 * Texting stretches words: "holaaa", "okk", "jajajaja", "sisi". Letters repeated in a row
 * count once and a two-letter unit repeated counts once, for the list and messages alike.
 */
export function squeeze(word: string): string {
  return word.replace(/(.)\1+/g, '$1').replace(/(..)\1+/g, '$1');
}

function wordsOf(text: string): string[] {
  const words = fold(text).split(' ').filter(Boolean).map(squeeze);
  return words.filter((w, i) => w !== words[i - 1]);
}

function emojiKey(text: string): string {
  const chars = [...text.replace(EMOJI_NOISE, '')];
  return chars.filter((c, i) => c !== chars[i - 1]).join('');
}

/** Recognises small talk as a whole message: words from the list, or emoji alone. */
export class SmallTalkMatcher {
  private readonly phrases = new Map<string, Entry>();
  private readonly emoji = new Map<string, Entry>();
  private longest = 1;

  constructor(file: SmallTalkFile) {
    for (const kind of LISTED_KINDS) {
      for (const lang of LANGS) {
        for (const raw of file[kind][lang]) {
          const words = wordsOf(raw);
          const map = words.length ? this.phrases : this.emoji;
          const key = words.length ? words.join(' ') : emojiKey(raw);
          if (!key) continue;
          const entry = map.get(key);
          // The first kind listed for a key wins; its languages gather.
          if (entry && entry.kind !== kind) continue;
          map.set(key, { kind, langs: new Set([...(entry?.langs ?? []), lang]) });
          this.longest = Math.max(this.longest, words.length);
        }
      }
    }
  }

  /** Whether a list entry, read as messages are read, is recognised at all. */
  readable(raw: string): boolean {
    return wordsOf(raw).length > 0 || (PICTOGRAPH.test(raw) && emojiKey(raw).length > 0);
  }

  match(text: string): SmallTalk | null {
    const words = wordsOf(text);
    if (!words.length) {
      if (!PICTOGRAPH.test(text)) return null;
      const entry = this.emoji.get(emojiKey(text));
      return entry ? result(entry.kind, [entry]) : { kind: 'emoji', lang: null };
    }
    if (words.length > MAX_WORDS) return null;
    // Every word must belong to a listed entry, the longest entry first at each point.
    const found: Entry[] = [];
    for (let i = 0; i < words.length; ) {
      const hit = this.longestAt(words, i);
      if (!hit) return null;
      found.push(hit.entry);
      i += hit.length;
    }
    const kind = PRECEDENCE.find((k) => found.some((e) => e.kind === k))!;
    return result(kind, found);
  }

  private longestAt(words: string[], at: number): { length: number; entry: Entry } | null {
    for (let length = Math.min(this.longest, words.length - at); length > 0; length--) {
      const entry = this.phrases.get(words.slice(at, at + length).join(' '));
      if (entry) return { length, entry };
    }
    return null;
  }
}

function result(kind: SmallTalkKind, entries: Entry[]): SmallTalk {
  // The language is known only when every word belongs to one language and they agree.
  let lang: Lang | null = null;
  for (const e of entries) {
    if (e.langs.size !== 1) continue;
    const [only] = e.langs;
    if (lang && lang !== only) return { kind, lang: null };
    lang = only!;
  }
  return { kind, lang };
}
