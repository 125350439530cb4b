import { describe, expect, it } from 'vitest';
import {
  convertToPlain,
  convertToTelegramHtml,
  convertToWhatsApp,
  numberedMenu,
  splitText,
} from '../src/channels/render.js';
import { matchOption } from '../src/engine/match.js';
import { findPayload, formatPayload, parsePayload } from '../src/engine/payload.js';
import { escapeMarkup } from '../src/engine/turn.js';
import { clean, fold, parseNumber } from '../src/text/normalize.js';

const options = [
  { id: 'labor', label: 'Trabajo y justicia laboral' },
  { id: 'covid', label: 'COVID-19: prevención' },
  { id: 'language', label: 'Cambiar idioma' },
];

describe('option matching', () => {
  it.each([
    ['1', 'labor'],
    [' 2. ', 'covid'],
    ['#3', 'language'],
    ['2️⃣', 'covid'],
    ['dos', 'covid'],
    ['TRABAJO Y JUSTICIA LABORAL', 'labor'],
    ['covid 19 prevencion', 'covid'],
    ['idioma', 'language'],
    ['covid', 'covid'],
  ])('"%s" picks %s', (text, id) => {
    const m = matchOption(text, options);
    expect(m && 'option' in m ? m.option.id : null).toBe(id);
  });

  it('reports a number out of range, and ignores free text', () => {
    expect(matchOption('9', options)).toEqual({ outOfRange: 9 });
    expect(matchOption('mi jefe no me paga', options)).toBeNull();
    expect(matchOption('', options)).toBeNull();
  });
});

describe('text folding', () => {
  it('folds case, accents, punctuation and invisible characters', () => {
    expect(fold('  ¡Menú!  ')).toBe('menu');
    expect(fold('Kreyòl AYISYEN')).toBe('kreyol ayisyen');
    expect(clean('a\u0000b\u200Bc\u0007')).toBe('abc');
    expect(parseNumber('3️⃣')).toBe(3);
    expect(parseNumber('3 cosas')).toBeNull();
  });
});

describe('deep-link payloads', () => {
  it('round-trip within Telegram limits', () => {
    const p = { lang: 'ht' as const, flow: 'trafficking', campaign: 'leader-12' };
    const s = formatPayload(p);
    expect(s).toBe('ht_trafficking_leader-12');
    expect(s).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(parsePayload(s)).toEqual(p);
    expect(parsePayload(`/start ${s}`)).toEqual(p);
    expect(parsePayload('es_labor')).toEqual({ lang: 'es', flow: 'labor', campaign: null });
  });

  it('rejects what does not fit', () => {
    expect(parsePayload('fr_labor')).toBeNull();
    expect(parsePayload('hola')).toBeNull();
    expect(parsePayload(`es_labor_${'x'.repeat(60)}`)).toBeNull();
    expect(() => formatPayload({ lang: 'es', flow: 'labor', campaign: 'has space' })).toThrow();
  });
});

describe('a payload anywhere in a message', () => {
  it.each([
    ['ht_labor', 'ht_labor'],
    ['/start es_covid_poster1', '/start es_covid_poster1'],
    ['Bonjou! Mwen vle enfòmasyon (ht_labor_leader-12)', 'ht_labor_leader-12'],
    ['Hola, quiero información sobre es_trafficking.', 'es_trafficking'],
    ['Hi! en_covid_poster1 thanks', 'en_covid_poster1'],
    ['«es_children_radio-3»', 'es_children_radio-3'],
    ['hola, necesito ayuda', null],
    ['fr_labor', null],
    ['mi correo es_labor@gmail.com', null],
    ['xes_labor', null],
    ['es_Labor', null],
    [`(es_labor_${'x'.repeat(41)})`, null],
  ])('%s → %s', (text, want) => {
    expect(findPayload(text)).toBe(want);
  });
});

describe('rendering for channels', () => {
  const text = `*Title*\n\nHello ${escapeMarkup('*not bold* <b>&')}`;

  it('keeps user text from formatting, in every channel', () => {
    expect(convertToPlain(text)).toBe('Title\n\nHello *not bold* <b>&');
    expect(convertToTelegramHtml(text)).toBe('<b>Title</b>\n\nHello *not bold* &lt;b&gt;&amp;');
    expect(convertToWhatsApp(text)).toBe('*Title*\n\nHello *\u2060not bold*\u2060 <b>&');
  });

  it('numbers options for channels without buttons', () => {
    expect(
      numberedMenu('Pick', [
        { id: 'a', label: 'One' },
        { id: 'b', label: 'Two' },
      ]),
    ).toBe('Pick\n\n1. One\n2. Two');
  });

  it('splits long text at paragraph breaks, within the limit', () => {
    const long = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} ${'word '.repeat(40)}`).join('\n\n');
    const parts = splitText(long, 4096);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts[0]!.endsWith('word')).toBe(true);
    expect(parts.join('\n\n').replace(/\s+/g, ' ')).toBe(long.replace(/\s+/g, ' '));
  });
});
