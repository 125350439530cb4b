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

  it('records topic, language, channel, the hour and how consent was given', async () => {
    const { h } = open();
    const user = '5219990001111';
    const send = (text: string) => h.send(user, { text }, { lang: 'ht', sure: true }, 'telegram');
    await send('bonjou');
    await send('abone');
    await send('1');
    const key = h.app.bot.userKeyOf('telegram', user);
    expect(await h.app.store.subscriptions.consentsOf(key)).toEqual([]);
    await send('wi');
    expect(await h.app.store.subscriptions.consentsOf(key)).toEqual([
      { topic: 'covid', lang: 'ht', channel: 'telegram', at: T0 - (T0 % HOUR), how: 'command' },
    ]);
    // The help menu's button, and the offer after an answer.
    await h.send(user, { choice: 'subs:help' }, undefined, 'telegram');
    await send('2');
    await send('wi');
    await send('kijan pou m pwoteje m kont covid');
    await send('trafik moun');
    const consents = await h.app.store.subscriptions.consentsOf(key);
    expect(consents.map((c) => [c.topic, c.how])).toEqual([
      ['covid', 'command'],
      ['labour', 'help'],
    ]);
    await h.send(user, { choice: 'subs:offer:trafficking' }, undefined, 'telegram');
    expect(await h.app.store.subscriptions.topicsOf(key)).toEqual(['covid', 'labour']);
    await h.send(user, { choice: 'subs:yes:trafficking:offer' }, undefined, 'telegram');
    expect(
      (await h.app.store.subscriptions.consentsOf(key)).find((c) => c.topic === 'trafficking')?.how,
    ).toBe('offer');
  });

  it('never subscribes on a no, on a yes to another question, or on an offer alone', async () => {
    const { h } = open();
    await h.say('u', 'hola', 'es');
    await h.say('u', 'suscribirme', 'es');
    await h.say('u', '1', 'es');
    await h.say('u', 'no', 'es');
    await h.say('u', 'como me protejo del covid', 'es');
    await h.say('u', 'si', 'es');
    await h.send('u', { choice: 'subs:offer:covid' });
    await h.say('u', 'menu', 'es');
    expect(await h.app.store.subscriptions.topicsOf(h.app.bot.userKeyOf('console', 'u'))).toEqual([]);
  });

  it('keeps the address sealed: the database file holds no raw id', async () => {
    const { h } = open();
    const user = '50688887777';
    for (const t of ['hola', 'suscribirme', '1', 'sí'])
      await h.send(user, { text: t }, { lang: 'es', sure: true }, 'whatsapp');
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

  it('follows a change of language, and stop removes every subscription', async () => {
    const { h } = open();
    for (const t of ['hello', 'subscribe', '1', 'yes', 'subscribe', '5', 'yes']) await h.say('v', t, 'en');
    const key = h.app.bot.userKeyOf('console', 'v');
    expect((await h.app.store.subscriptions.audience()).map((r) => [r.topic, r.lang, r.count])).toEqual([
      ['courses', 'en', 1],
      ['covid', 'en', 1],
    ]);
    await h.say('v', 'idioma');
    await h.say('v', '1');
    expect((await h.app.store.subscriptions.consentsOf(key)).map((c) => c.lang)).toEqual(['es', 'es']);
    await h.say('v', 'stop');
    expect(await h.app.store.subscriptions.topicsOf(key)).toEqual([]);
    expect(h.app.db.prepare('SELECT count(*) AS n FROM subscriptions').get()).toEqual({ n: 0 });
  });
});
