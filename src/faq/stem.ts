import type { Lang } from '../text/lang.js';

/** A light stemmer: plural and common verb endings, so "pagan", "pagaron" and "pago" meet. */
export function stem(token: string, lang: Lang): string {
  if (token.length <= 3 || /\d/.test(token)) return token;
  let out = token;
  if (lang === 'es')
    // A pronoun joined to a verb ("pagarle", "cobrarme", "conseguirme") is the verb.
    out = token
      .replace(/(ar|er|ir)(le|les|lo|la|los|las|me|te|se|nos)$/, '$1')
      .replace(
        /(aron|ieron|amos|aban|ando|iendo|ados|idos|adas|idas|ado|ido|ada|ida|ar|er|ir|an|en|as|es|os|a|o|e|s)$/,
        '',
      );
  // "-es" is an ending after s, x, z, ch and sh only: "phones" is "phone" as "boxes" is "box".
  else if (lang === 'en') out = token.replace(/(ing|ies|ied|ed|(?<=(?:[sxz]|ch|sh))es|s)$/, '');
  return out.length >= 3 ? out : token;
}
