import type { Lang } from '../src/text/lang.js';

/**
 * What simulated users type. Navigation is numbers and commands; mixed adds the free-text
 * questions people really ask, in each language.
 */
const GREETING: Record<Lang, string> = { es: 'hola', en: 'hello', ht: 'bonjou' };
const BACK: Record<Lang, string> = { es: 'atrás', en: 'back', ht: 'tounen' };
const MENU: Record<Lang, string> = { es: 'menú', en: 'menu', ht: 'meni' };
const QUESTIONS: Record<Lang, string[]> = {
  es: [
    'mi patron no me paga la quincena',
    'me corrieron sin avisar',
    'puedo ir al hospital sin papeles',
    'me quitaron el pasaporte',
    'vacuna gratis sin documentos',
  ],
  en: [
    'my boss didnt pay me',
    'i got fired yesterday',
    'can my kids go to school without papers',
    'hurt my back at work',
    'recruiter wants money for the job',
  ],
  ht: [
    'patwon an pa peye m',
    'yo revoke m san rezon',
    'eske m ka al lopital san papye',
    'pitit mwen pa ka al lekol',
    'kijan pou m fe yon plent',
  ],
};

export function navScript(lang: Lang): string[] {
  return [
    GREETING[lang],
    '1',
    '1',
    BACK[lang],
    '7',
    '2',
    BACK[lang],
    BACK[lang],
    '2',
    '3',
    MENU[lang],
    '4',
    '1',
    MENU[lang],
  ];
}

export function mixedScript(lang: Lang, i: number): string[] {
  const q = QUESTIONS[lang];
  return [
    GREETING[lang],
    '1',
    '2',
    q[i % q.length]!,
    '1',
    q[(i + 2) % q.length]!,
    BACK[lang],
    '3',
    MENU[lang],
    '2',
    '1',
    MENU[lang],
  ];
}
