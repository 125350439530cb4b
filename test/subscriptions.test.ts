import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressBox } from '../src/store/address.js';
import { HOUR } from '../src/store/times.js';
import { Harness } from './support/harness.js';

const T0 = Date.UTC(2026, 10, 30, 14, 37, 12);

describe('subscriptions and consent records', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  const open = () => {
    let now = T0;
    h = new Harness({}, { now: () => now });
    return {
      h,
      at: (ms: number) => {
        now = ms;
      },
    };
  };

  it('records topic, language, channel, the hour and how consent was given', () => {
    const { h } = open();
    const user = '5219990001111';
    const send = (text: string) => h.send(user, { text }, { lang: 'ht', sure: true }, 'telegram');
    send('bonjou');
    send('abone');
    send('1');
    const key = h.app.bot.userKeyOf('telegram', user);
    expect(h.app.bot.subscriptions.consentsOf(key)).toEqual([]);
    send('wi');
    expect(h.app.bot.subscriptions.consentsOf(key)).toEqual([
      { topic: 'covid', lang: 'ht', channel: 'telegram', at: T0 - (T0 % HOUR), how: 'command' },
    ]);
    // The help menu's button, and the offer after an answer.
    h.send(user, { choice: 'subs:help' }, undefined, 'telegram');
    send('2');
    send('wi');
    send('kijan pou m pwoteje m kont covid');
    send('trafik moun');
    const consents = h.app.bot.subscriptions.consentsOf(key);
    expect(consents.map((c) => [c.topic, c.how])).toEqual([
      ['covid', 'command'],
      ['labour', 'help'],
    ]);
    h.send(user, { choice: 'subs:offer:trafficking' }, undefined, 'telegram');
    expect(h.app.bot.subscriptions.topicsOf(key)).toEqual(['covid', 'labour']);
    h.send(user, { choice: 'subs:yes:trafficking:offer' }, undefined, 'telegram');
    expect(h.app.bot.subscriptions.consentsOf(key).find((c) => c.topic === 'trafficking')?.how).toBe('offer');
  });

  it('never subscribes on a no, on a yes to another question, or on an offer alone', () => {
    const { h } = open();
    h.say('u', 'hola', 'es');
    h.say('u', 'suscribirme', 'es');
    h.say('u', '1', 'es');
    h.say('u', 'no', 'es');
    h.say('u', 'como me protejo del covid', 'es');
    h.say('u', 'si', 'es');
    h.send('u', { choice: 'subs:offer:covid' });
    h.say('u', 'menu', 'es');
    expect(h.app.bot.subscriptions.topicsOf(h.app.bot.userKeyOf('console', 'u'))).toEqual([]);
  });

  it('keeps the address sealed: the database file holds no raw id', () => {
    const { h } = open();
    const user = '50688887777';
    for (const t of ['hola', 'suscribirme', '1', 'sí'])
      h.send(user, { text: t }, { lang: 'es', sure: true }, 'whatsapp');
    const row = h.app.db.prepare('SELECT address FROM subscriptions').get() as { address: string };
    expect(row.address).not.toContain(user);
    const secret = readFileSync(h.keyFile);
    const box = new AddressBox(secret);
    expect(box.open('whatsapp', row.address)).toBe(user);
    expect(box.open('telegram', row.address)).toBeNull();
    expect(new AddressBox(Buffer.alloc(32, 1)).open('whatsapp', row.address)).toBeNull();
    h.app.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(h.dbPath).includes(Buffer.from(user))).toBe(false);
  });

  it('follows a change of language, and stop removes every subscription', () => {
    const { h } = open();
    for (const t of ['hello', 'subscribe', '1', 'yes', 'subscribe', '5', 'yes']) h.say('v', t, 'en');
    const key = h.app.bot.userKeyOf('console', 'v');
    expect(h.app.bot.subscriptions.audience().map((r) => [r.topic, r.lang, r.count])).toEqual([
      ['courses', 'en', 1],
      ['covid', 'en', 1],
    ]);
    h.say('v', 'idioma');
    h.say('v', '1');
    expect(h.app.bot.subscriptions.consentsOf(key).map((c) => c.lang)).toEqual(['es', 'es']);
    h.say('v', 'stop');
    expect(h.app.bot.subscriptions.topicsOf(key)).toEqual([]);
    expect(h.app.db.prepare('SELECT count(*) AS n FROM subscriptions').get()).toEqual({ n: 0 });
  });
});
