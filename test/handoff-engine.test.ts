import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { runTurn } from '../src/engine/run.js';
import type { Effect, Session } from '../src/engine/types.js';
import { localTime, opening, parseHours } from '../src/handoff/hours.js';
import { Harness } from './support/harness.js';

const INBOX = { STAFF_CHAT_ID: '-1001234567890', TELEGRAM_BOT_TOKEN: '1:x', ORG_NAME: 'Red Puente' };
/** Wednesday 2 December 2026, 10:00 in Guatemala. */
const WEDNESDAY_10 = Date.UTC(2026, 11, 2, 16, 0);

describe('talking to a person in the engine', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  const session = async (user: string): Promise<Session | null> => {
    const stored = await h!.app.store.session(h!.app.bot.userKeyOf('console', user));
    return stored?.session ?? null;
  };

  it('without a staff inbox, every way in shows the help.human entry, and the menu offers no person', async () => {
    h = new Harness();
    await h.say('u1', 'hola', 'es');
    expect((await h.say('u1', 'persona', 'es')).at(-1)).toMatchObject({ faq: 'help.human' });
    const menu = (await h.say('u1', 'menu', 'es')).at(-1)!;
    expect(menu.options.map((o) => o.id)).not.toContain('human');
    expect((await h.say('u1', 'ayuda', 'es'))[0]!.text).not.toContain('persona para hablar');
    await h.say('u1', 'el patron me golpeo ayer y tengo miedo', 'es');
    expect((await h.say('u1', '1', 'es')).at(-1)).toMatchObject({ faq: 'help.human' });
  });

  it('asks for a person in each language by its command word, and says who reads, when, and how to go back', async () => {
    h = new Harness(
      { ...INBOX, HANDOFF_HOURS: 'Mon-Fri 08:00-17:00', HANDOFF_TZ: 'America/Guatemala' },
      { now: () => WEDNESDAY_10 },
    );
    const words = { es: ['persona', 'agente'], en: ['agent', 'person'], ht: ['moun', 'ajan'] } as const;
    const expected = {
      es: [/Una persona de Red Puente/, /antes de las 17:00/, /escribe menu/],
      en: [/A person from Red Puente/, /before 17:00/, /write menu/],
      ht: [/Yon moun nan Red Puente/, /anvan 17:00/, /ekri meni/],
    };
    for (const lang of ['es', 'en', 'ht'] as const) {
      for (const word of words[lang]) {
        const user = `${lang}-${word}`;
        await h.say(user, lang === 'es' ? 'hola' : lang === 'en' ? 'hello' : 'bonjou', lang);
        const out = await h.say(user, word, lang);
        for (const re of expected[lang]) expect(out[0]!.text, `${lang} ${word}`).toMatch(re);
        expect(out[1]!.options.map((o) => o.id)).toEqual(['share', 'fresh', 'menu']);
        expect((await session(user))?.pending).toEqual({ kind: 'consent' });
      }
    }
  });

  it('offers a person after two unanswered questions in a row, not after one', async () => {
    h = new Harness(INBOX);
    await h.say('u2', 'hola', 'es');
    expect((await h.say('u2', 'zorblax quintessa vemorp')).map((l) => l.text).join('\n')).not.toMatch(
      /hablar con una persona/,
    );
    const second = await h.say('u2', 'florbin trastuk melodrex');
    expect(second.map((l) => l.text).join('\n')).toMatch(/hablar con una persona\? Escribe persona/);
    // The offer comes before the menu the user is left on.
    expect(second.at(-1)!.options.length).toBeGreaterThan(0);
    // An answer in between starts the count again.
    await h.say('u2', 'zorblax quintessa vemorp');
    await h.say('u2', 'mi patron no me paga el salario');
    expect((await h.say('u2', 'florbin trastuk melodrex')).map((l) => l.text).join('\n')).not.toMatch(
      /Escribe persona/,
    );
  });

  it('while a person is on it: text is relayed, not searched; help, stickers and "person" keep the conversation; language leaves it', async () => {
    h = new Harness(INBOX, { now: () => WEDNESDAY_10 });
    await h.say('u3', 'hola', 'es');
    await h.say('u3', 'persona');
    expect((await h.say('u3', '2')).at(-1)!.text).toMatch(/Listo/);
    expect((await session('u3'))?.handoff).toEqual({ since: WEDNESDAY_10, relayed: false });
    const first = await h.say('u3', 'mi patron no me paga el salario');
    expect(first.map((l) => l.faq)).not.toContain('labor.unpaid-wages');
    expect(first.at(-1)!.text).toMatch(/Enviado/);
    expect(await h.say('u3', 'otra cosa: tengo miedo de perder el trabajo')).toEqual([]);
    expect((await h.say('u3', 'ayuda')).map((l) => l.text).join('\n')).toMatch(/ya está leyendo este chat/);
    expect((await h.send('u3', { media: 'sticker' })).at(-1)!.text).toMatch(/Solo puedo pasar texto/);
    // A voice note the channel gave no reference for cannot be passed on: the person stays on it,
    // the user is asked to write, and it is counted as one.
    const voice = await h.send('u3', { voice: { kind: 'voice', seconds: 3 } });
    expect(voice.map((l) => l.text).join('\n')).toMatch(/No se pudo pasar tu nota de voz/);
    expect(voice.map((l) => l.text).join('\n')).not.toMatch(/Estás de nuevo con el bot/);
    expect((await session('u3'))?.pending).toEqual({ kind: 'handoff' });
    expect((await h.say('u3', 'persona')).at(-1)!.text).toMatch(/ya está leyendo este chat/);
    expect((await session('u3'))?.pending).toEqual({ kind: 'handoff' });
    const out = await h.say('u3', 'idioma');
    expect(out[0]!.text).toMatch(/Estás de nuevo con el bot/);
    expect(out.at(-1)!.flow).toBe('language');
    expect((await session('u3'))?.handoff).toBeUndefined();
  });

  it('returns effects the host applies, and leaves the caller’s session alone (table)', async () => {
    h = new Harness(INBOX);
    const ctx = h.app.bot.current.ctx;
    const base: Session = {
      v: 1,
      lang: 'es',
      at: null,
      pending: null,
      history: [],
      vars: {},
      campaign: null,
    };
    const open: Session = { ...base, pending: { kind: 'handoff' }, handoff: { since: 1, relayed: true } };
    const cases: Array<
      [string, Session, Parameters<typeof runTurn>[2], Effect['type'][], string | undefined]
    > = [
      [
        'consent: share',
        { ...base, pending: { kind: 'consent' } },
        { choice: 'share' },
        ['handoff.open'],
        'true',
      ],
      [
        'consent: fresh',
        { ...base, pending: { kind: 'consent' } },
        { choice: 'fresh' },
        ['handoff.open'],
        'false',
      ],
      ['text', open, { text: 'hola, necesito ayuda' }, ['handoff.relay-in'], undefined],
      [
        'voice note',
        open,
        { voice: { kind: 'voice', media: 'AwACAgEAAxkBAAIvoice', seconds: 4 } },
        ['handoff.relay-voice'],
        undefined,
      ],
      ['voice note without a reference', open, { voice: { kind: 'voice' } }, [], undefined],
      [
        'danger',
        open,
        { text: 'el patron me golpeo ayer y tengo miedo' },
        ['metric', 'handoff.relay-in'],
        undefined,
      ],
      ['menu', open, { text: 'menu' }, ['handoff.close'], 'user'],
      ['stop', open, { text: 'stop' }, ['forget', 'handoff.close'], 'left'],
      ['quick exit', open, { text: 'salir' }, ['erase', 'forget', 'handoff.close'], 'left'],
      ['staff closed', open, { handoff: 'staff-close' }, ['handoff.close'], 'staff'],
      ['idle', open, { handoff: 'idle-close' }, ['handoff.close'], 'idle'],
      ['staff closed, already closed', base, { handoff: 'staff-close' }, [], undefined],
    ];
    for (const [name, prior, event, types, detail] of cases) {
      const frozen = JSON.stringify(prior);
      const r = runTurn(ctx, prior, event, undefined, WEDNESDAY_10);
      expect(
        r.effects.map((e) => e.type).filter((t) => t !== 'metric' || name === 'danger'),
        name,
      ).toEqual(types);
      expect(JSON.stringify(prior), name).toBe(frozen);
      const e = r.effects.find((x) => x.type.startsWith('handoff.'));
      if (e?.type === 'handoff.open') expect(String(e.history), name).toBe(detail);
      if (e?.type === 'handoff.close') expect(e.reason, name).toBe(detail);
      if (name === 'danger') expect(r.messages[0]!.safety, name).toBe(true);
      if (name === 'text' || name === 'voice note') expect(r.messages, name).toEqual([]);
      if (e?.type === 'handoff.relay-voice')
        expect(e.voice, name).toEqual({ kind: 'voice', media: 'AwACAgEAAxkBAAIvoice', seconds: 4 });
    }
  });
});

describe('opening hours and the handoff settings', () => {
  it('parses HANDOFF_HOURS, and says when the team is at work and when it next is', async () => {
    const rules = parseHours('Mon-Fri 08:00-17:00, Sat 09:00-12:00');
    const tz = 'America/Guatemala';
    expect(localTime(WEDNESDAY_10, tz)).toEqual({ day: 3, minute: 600 });
    expect(opening(rules, tz, WEDNESDAY_10)).toEqual({ open: true, closes: 1020 });
    // Wednesday 18:00: Thursday at 08:00.
    expect(opening(rules, tz, WEDNESDAY_10 + 8 * 3_600_000)).toEqual({
      open: false,
      opens: { day: 4, minute: 480, today: false },
    });
    // Saturday 07:00: today at 09:00; Saturday 13:00: Monday at 08:00.
    const saturday7 = Date.UTC(2026, 11, 5, 13, 0);
    expect(opening(rules, tz, saturday7)).toEqual({
      open: false,
      opens: { day: 6, minute: 540, today: true },
    });
    expect(opening(rules, tz, saturday7 + 6 * 3_600_000)).toEqual({
      open: false,
      opens: { day: 1, minute: 480, today: false },
    });
    expect(parseHours('lunes-viernes 8:00-16:30')).toEqual([{ days: [1, 2, 3, 4, 5], from: 480, to: 990 }]);
    expect(parseHours('Fri-Mon 10:00-14:00')[0]!.days).toEqual([5, 6, 0, 1]);
  });

  it('rejects bad settings with the variable, what is wrong and how it should look', async () => {
    const env = (e: Record<string, string>) => () => loadConfig(e, false);
    expect(env({ STAFF_CHAT_ID: '-1001234567890', ORG_NAME: 'Red' })).toThrow(/TELEGRAM_BOT_TOKEN/);
    expect(env({ STAFF_CHAT_ID: '-1001234567890', TELEGRAM_BOT_TOKEN: '1:x' })).toThrow(/ORG_NAME/);
    expect(env({ STAFF_CHAT_ID: '12345', TELEGRAM_BOT_TOKEN: '1:x', ORG_NAME: 'Red' })).toThrow(/supergroup/);
    expect(env({ HANDOFF_HOURS: 'weekdays 8 to 5' })).toThrow(/HANDOFF_HOURS.*Mon-Fri 08:00-17:00/);
    expect(env({ HANDOFF_HOURS: 'Mon-Fri 17:00-08:00' })).toThrow(/forward/);
    expect(env({ HANDOFF_TZ: 'Guatemala City' })).toThrow(/HANDOFF_TZ/);
    const ok = loadConfig({ ...INBOX, HANDOFF_HOURS: 'Mon-Fri 08:00-17:00' }, false);
    expect(ok.HANDOFF_IDLE_H).toBe(24);
    expect(ok.HANDOFF_TZ).toBe('UTC');
  });
});
