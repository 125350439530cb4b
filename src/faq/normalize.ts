import type { Lang } from '../text/lang.js';
import { fold } from '../text/normalize.js';

/**
 * Spelling that people type on a phone, mapped to the word it stands for. Applied to
 * folded tokens (no accents, lower case), both to queries and to the indexed text.
 */
const VARIANTS: Record<Lang, Record<string, string>> = {
  es: {
    q: 'que',
    k: 'que',
    ke: 'que',
    xq: 'porque',
    pq: 'porque',
    porq: 'porque',
    xk: 'porque',
    tmb: 'tambien',
    tb: 'tambien',
    x: 'por',
    d: 'de',
    pa: 'para',
    toy: 'estoy',
    ta: 'esta',
    ps: 'pues',
    nd: 'nada',
    mñn: 'manana',
    hrs: 'horas',
    hr: 'hora',
    dr: 'doctor',
    info: 'informacion',
    uno: '1',
    dos: '2',
    tres: '3',
    diecinueve: '19',
    covid19: 'covid',
    coronavirus: 'covid',
    corona: 'covid',
    papel: 'papeles',
    doc: 'documentos',
    docs: 'documentos',
  },
  en: {
    u: 'you',
    r: 'are',
    ur: 'your',
    pls: 'please',
    plz: 'please',
    im: 'i',
    dont: 'do',
    cant: 'can',
    wont: 'will',
    doesnt: 'does',
    didnt: 'did',
    hrs: 'hours',
    hr: 'hour',
    w: 'with',
    b4: 'before',
    bc: 'because',
    cuz: 'because',
    coz: 'because',
    info: 'information',
    nineteen: '19',
    covid19: 'covid',
    coronavirus: 'covid',
    corona: 'covid',
    doc: 'documents',
    docs: 'documents',
    id: 'id',
  },
  ht: {
    m: 'mwen',
    mw: 'mwen',
    w: 'ou',
    l: 'li',
    n: 'nou',
    y: 'yo',
    k: 'ki',
    kk: 'kisa',
    kisa: 'kisa',
    kijan: 'kijan',
    pou: 'pou',
    pwoblem: 'pwoblem',
    covid19: 'covid',
    kowona: 'covid',
    kowonaviris: 'covid',
    koronaviris: 'covid',
    sak: 'sa',
    dokiman: 'dokiman',
    papie: 'papye',
    lopital: 'lopital',
    opital: 'lopital',
    ekol: 'lekol',
  },
};

/** Words too common to tell one topic from another. */
const STOP: Record<Lang, Set<string>> = {
  es: new Set(
    'a al algo ante como con cual cuando de del desde donde e el ella ellos en entre era es esa ese eso esta estan estar este esto estoy fue ha hay la las le les lo los me mi mis muy nos o para pero por porque pues que quien se si su sus te ti tu tus un una uno unos y ya yo hola buenas favor ayuda necesito quiero saber puedo puede hacer hago tengo tiene'.split(
      ' ',
    ),
  ),
  en: new Set(
    'a about am an and any are as at be been but by can could do does for from get got have has how i if in is it its just me my of on or please should so that the their them there they this to was what when where which who why will with would you your hi hello help need want know'.split(
      ' ',
    ),
  ),
  ht: new Set(
    'a ak an bay e epi gen ka ke ki kijan kisa kote la lan li m men mwen nan ni nou o ou pa pou sa se si sou te ap pral yo w l n y bonjou alo mande vle konnen tanpri fe fè ede'.split(
      ' ',
    ),
  ),
};

/** Tokens of a text, normalised for one language's index. */
export function tokens(text: string, lang: Lang): string[] {
  const variants = VARIANTS[lang];
  const out: string[] = [];
  for (const raw of fold(text).split(' ')) {
    if (!raw) continue;
    const split = raw.replace(/^(covid)(\d+)$/, '$1 $2').split(' ');
    for (const t of split) out.push(stem(variants[t] ?? t, lang));
  }
  return out;
}

/** Tokens that carry meaning: stop words removed. */
export function contentTokens(text: string, lang: Lang): string[] {
  const stop = STOP[lang];
  return tokens(text, lang).filter((t) => t.length > 1 && !stop.has(t));
}

/** A light stemmer: plural and common verb endings, so "pagan", "pagaron" and "pago" meet. */
export function stem(token: string, lang: Lang): string {
  if (token.length <= 3 || /\d/.test(token)) return token;
  let out = token;
  if (lang === 'es')
    out = token.replace(
      /(aron|ieron|amos|aban|ando|iendo|ados|idos|adas|idas|ado|ido|ada|ida|ar|er|ir|an|en|as|es|os|a|o|e|s)$/,
      '',
    );
  else if (lang === 'en') out = token.replace(/(ing|ies|ied|ed|es|s)$/, '');
  return out.length >= 3 ? out : token;
}
