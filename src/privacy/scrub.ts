import { fold } from '../text/normalize.js';

/** Stored free text is cut to this many characters: enough for staff to see what was asked. */
export const MAX_SCRUBBED = 200;

/** What scrubbing leaves in place of what it removed. */
export const MARKS = { name: '[name]', email: '[email]', link: '[link]', number: '#' } as const;

const URL = /\b(?:https?:\/\/|www\.)[^\s<>"]+/giu;
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
/**
 * Addresses typed without http or www: "facebook.com/maria.lopez", "wa.me/50937000000". Endings
 * that are also words ("me", "do", "pa") count only with a path, so "gracias.me ayudo" stays.
 */
const DOMAIN =
  /(?<![\p{L}\p{N}@.])(?:[a-z0-9-]+\.)+(?:(?:com|org|net|info|gob|gov|edu|ht|mx|gt|hn|sv|cr|bz|gy|cu|jm|ly)(?:\/[^\s<>"]*)?(?![\p{L}\p{N}])|[a-z]{2,}\/[^\s<>"]*)/giu;
/** Seven digits or more, grouped as people write phone numbers: "+1 (809) 555-1234", "55 1234 5678". */
const PHONE = /\+?\(?\d(?:[\s().-]{0,2}\d){6,}/gu;
const DIGITS = /\d{4,}/gu;

/** Phrases after which the next words are a name, in any case: "me llamo maria". */
const NAMED_BY = [
  'me llamo',
  'me yamo',
  'mi nombre es',
  'my name is',
  "my name's",
  'i am called',
  "i'm called",
  'im called',
  'mwen rele',
  'm rele',
  "m'rele",
  'non mwen se',
  'non m se',
];
/** Phrases after which capitalised words are a name: "soy Maria Lopez", "I'm John". */
const INTRODUCED_BY = ['soy', 'yo soy', 'i am', "i'm", 'im', 'mwen se', 'm se'];

/** Words that end a name: connectors and the words that usually follow one. */
const ENDS_NAME = new Set(
  [
    // es
    'y e o u pero que porque por con para en a al mi mis me te se le no si es soy estoy tengo vivo',
    'trabajo necesito quiero busco vengo aqui ahora hoy ya tambien',
    // en
    'and or but from in at on to for with i im my is am are the an so because here now not',
    'need want work live have looking also',
    // ht
    'ak epi men mwen m nan pou paske se pa li yo w ou ki kote bezwen vle travay rete gen genyen isit kounye',
  ]
    .join(' ')
    .split(' '),
);
/** Small words inside names ("Maria de la Cruz"), kept when a name word follows. */
const PARTICLES = new Set('de del la las los da das do dos di du van von'.split(' '));
const MAX_NAME_WORDS = 4;

const asPattern = (s: string) => s.replace(/[.*+?^${}()|[\]\\']/g, '\\$&').replace(/ /g, '\\s+');
const trigger = (phrases: string[]) =>
  new RegExp(
    `(?<![\\p{L}\\p{N}'’])(?:${phrases
      .sort((a, b) => b.length - a.length)
      .map((p) => asPattern(p).replace(/\\'/g, "['’]?"))
      .join('|')})(?![\\p{L}\\p{N}])`,
    'giu',
  );
const NAMED = trigger(NAMED_BY);
const INTRODUCED = trigger(INTRODUCED_BY);
const WORD = /\s*([\p{L}][\p{L}\p{M}'’-]*)/uy;
const LEAD = /\s*[:,-]?/uy;

/**
 * Removes what could identify the writer before free text is stored: phone numbers and other
 * long numbers, e-mail addresses, links and names, and cuts the rest to MAX_SCRUBBED characters.
 * What remains is still a useful question: "mi patron no me paga [name] #".
 */
export function scrub(text: string): string {
  let out = text
    .replace(URL, MARKS.link)
    .replace(EMAIL, MARKS.email)
    .replace(DOMAIN, MARKS.link)
    .replace(PHONE, MARKS.number)
    .replace(DIGITS, MARKS.number);
  out = replaceNames(out, NAMED, false);
  out = replaceNames(out, INTRODUCED, true);
  return Array.from(out).slice(0, MAX_SCRUBBED).join('');
}

/**
 * For error text from libraries, which can carry a chat id or a phone number: numbers of five
 * digits or more, phone numbers, e-mail addresses and links go; the rest of the message stays.
 */
export function redactIds(text: string): string {
  return text
    .replace(URL, MARKS.link)
    .replace(EMAIL, MARKS.email)
    .replace(PHONE, MARKS.number)
    .replace(/\d{5,}/gu, MARKS.number);
}

/** Folds stored text for counting alike questions together, keeping the scrubbing marks readable. */
export function foldScrubbed(text: string): string {
  return text
    .split(/(\[name\]|\[email\]|\[link\]|#)/)
    .map((part, i) => (i % 2 ? part : fold(part)))
    .filter(Boolean)
    .join(' ');
}

function replaceNames(text: string, triggers: RegExp, capitalised: boolean): string {
  let out = '';
  let from = 0;
  triggers.lastIndex = 0;
  for (let m = triggers.exec(text); m; m = triggers.exec(text)) {
    const end = nameEnd(text, m.index + m[0].length, capitalised);
    if (end === null) continue;
    out += `${text.slice(from, m.index + m[0].length)} ${MARKS.name}`;
    from = end;
    triggers.lastIndex = end;
  }
  return out + text.slice(from);
}

/** Where the name after a trigger ends, or null when no name follows. */
function nameEnd(text: string, start: number, capitalised: boolean): number | null {
  LEAD.lastIndex = start;
  let at = LEAD.exec(text) ? LEAD.lastIndex : start;
  let end: number | null = null;
  let words = 0;
  while (words < MAX_NAME_WORDS) {
    WORD.lastIndex = at;
    const m = WORD.exec(text);
    if (!m) break;
    const word = m[1]!;
    if (PARTICLES.has(fold(word)) && end !== null) {
      // Particles ("de la") belong to the name only when a name word follows them.
      let next = WORD.exec(text);
      while (next && PARTICLES.has(fold(next[1]!))) next = WORD.exec(text);
      if (!next || !isNameWord(next[1]!, capitalised)) break;
      at = next.index;
      continue;
    }
    if (!isNameWord(word, capitalised)) break;
    words++;
    at = WORD.lastIndex;
    end = at;
  }
  return end;
}

function isNameWord(word: string, capitalised: boolean): boolean {
  if (ENDS_NAME.has(fold(word)) || PARTICLES.has(fold(word))) return false;
  return !capitalised || /^\p{Lu}/u.test(word);
}
