import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WhatsAppAdapter } from '../src/channels/whatsapp/adapter.js';
import { convertMessageToWhatsApp, convertWaMessageToIncoming } from '../src/channels/whatsapp/convert.js';
import { readWaState, writeWaState } from '../src/channels/whatsapp/state.js';
import { escapeMarkup } from '../src/engine/turn.js';
import { createLogger } from '../src/runtime/log.js';
import { FakeClock, type FakeShared, FakeWaClient, flush, waText } from './support/fake-whatsapp.js';
import { Harness } from './support/harness.js';

const NO_PACING = { perChatGapMs: 0, perMinute: 1_000_000, jitterMs: 0 };

describe('WhatsApp adapter with a fake client', () => {
  let h: Harness;
  let clock: FakeClock;
  let adapter: WhatsAppAdapter;
  let shared: FakeShared;
  let qrs: string[];

  beforeEach(async () => {
    FakeWaClient.all = [];
    h = new Harness();
    clock = new FakeClock();
    shared = { sent: [] };
    qrs = [];
    adapter = new WhatsAppAdapter(h.app.bot, createLogger(process.env.DEBUG_WA ? 'debug' : 'silent'), {
      factory: () => new FakeWaClient(shared),
      clock,
      pacing: NO_PACING,
      initTimeoutMs: 30_000,
      backoff: { firstMs: 1_000, maxMs: 8_000 },
      onQr: (qr) => qrs.push(qr),
    });
    adapter.start();
    await flush();
  });

  afterEach(async () => {
    await adapter.stop();
    h.close();
  });

  const client = () => FakeWaClient.all.at(-1)!;
  const say = async (from: string, body: string) => {
    client().emit('message', waText(from, body, clock.now()));
    await clock.advance(10);
    return shared.sent.filter((s) => s.chatId === from).at(-1)?.text ?? '';
  };

  it('a message the store cannot save gets a short apology, once, and nothing else', async () => {
    const from = '5215500000099@c.us';
    h.app.store.closeSync();
    expect(await say(from, 'hola')).toBe(h.app.bot.apology(null));
    await say(from, 'hola otra vez');
    expect(shared.sent.filter((s) => s.chatId === from)).toHaveLength(1);
  });

  it('logs in with the QR code and answers in three languages with numbered menus', async () => {
    expect(qrs).toEqual(['fake-qr-code']);
    expect(adapter.isReady()).toBe(true);
    expect(await say('5215500000001@c.us', 'hola')).toContain('1. Trabajo y justicia laboral');
    expect(await say('5215500000002@c.us', 'hello')).toContain('2. COVID-19 prevention');
    expect(await say('50937000003@c.us', 'bonjou')).toContain('3. Trafik moun');
  });

  it('selects by number, by word and by label', async () => {
    await say('50937000004@c.us', 'bonjou');
    expect(await say('50937000004@c.us', '1')).toContain('Dwa ou nan travay');
    expect(await say('50937000004@c.us', 'tounen')).toContain('Sou ki sijè');
    expect(await say('50937000004@c.us', 'timoun ak fanmi')).toContain(
      'Timoun ak fanmi: kisa ou vle konnen?',
    );
    const answer = await say('50937000004@c.us', '1');
    expect(answer).toMatch(/^\*Lekòl/);
    expect(answer).toMatch(/\n1\. 👍/);
  });

  it('ignores groups, status broadcasts and its own messages; answers media with the text-only note', async () => {
    client().emit('message', waText('120363000000@g.us', 'hola', clock.now()));
    client().emit('message', { ...waText('status@broadcast', 'hola', clock.now()), isStatus: true });
    client().emit('message', { ...waText('5215500000005@c.us', 'hola', clock.now()), fromMe: true });
    await clock.advance(10);
    expect(shared.sent).toEqual([]);
    await say('5215500000006@c.us', 'hola');
    client().emit('message', { ...waText('5215500000006@c.us', '', clock.now()), type: 'image' });
    await clock.advance(10);
    const texts = shared.sent.map((s) => s.text);
    expect(texts.at(-2)).toContain('solo puedo leer texto');
    expect(texts.at(-1)).toContain('1. Trabajo y justicia laboral');
    // A voice note has its own reply: the bot cannot listen yet; a person, or the menu.
    client().emit('message', { ...waText('5215500000006@c.us', '', clock.now()), type: 'ptt' });
    await clock.advance(10);
    const voice = shared.sent.at(-1)!.text;
    expect(voice).toContain('Todavía no puedo escuchar notas de voz');
    expect(voice).toContain('1. 🙋 Hablar con una persona');
  });

  it('starts the flow and language a wa.me link names from the first message', async () => {
    const reply = await say('5215500000007@c.us', 'ht_trafficking_leader-3');
    expect(reply).toContain('Trafik moun: kisa ou vle konnen?');
  });

  it('finds the payload of a wa.me link inside the sentence a poster pre-fills', async () => {
    const reply = await say('5215500000008@c.us', 'Bonjou! Mwen vle enfòmasyon (ht_labor_leader-12)');
    expect(reply).toContain('Dwa ou nan travay');
    const key = h.app.bot.userKeyOf('whatsapp', '5215500000008');
    expect(h.app.store.sessions.read(key)?.session).toMatchObject({ lang: 'ht', campaign: 'leader-12' });
  });

  it('reconnects with a fresh client after a disconnect, without duplicate replies', async () => {
    const first = client();
    const msg = waText('5215500000008@c.us', 'hola', clock.now());
    first.emit('message', msg);
    await clock.advance(10);
    const before = shared.sent.length;
    first.emit('disconnected', 'NAVIGATION');
    await clock.advance(1_000);
    const second = client();
    expect(second).not.toBe(first);
    expect(first.destroyed).toBe(true);
    expect(adapter.isReady()).toBe(true);
    // WhatsApp replays recent history after a reconnect: the same message again, and an old one.
    second.emit('message', msg);
    second.emit('message', waText('5215500000009@c.us', 'hola', clock.now() - 3_600_000));
    await clock.advance(10);
    expect(shared.sent.length).toBe(before);
    expect(await say('5215500000008@c.us', '2')).toContain('COVID-19');
    expect(second.sent.length, String(FakeWaClient.all.length)).toBeGreaterThan(0);
  });

  it('answers once, after reconnecting, a message sent while the client was down within WHATSAPP_GRACE_MIN', async () => {
    const first = client();
    first.emit('disconnected', 'NAVIGATION');
    // Down for five minutes; a message sent meanwhile is delivered when the new client connects.
    const during = waText('5215500000010@c.us', 'hola', clock.now() + 1_000);
    await clock.advance(5 * 60_000);
    const second = client();
    expect(second).not.toBe(first);
    const before = shared.sent.filter((m) => m.chatId === '5215500000010@c.us').length;
    second.emit('message', during);
    second.emit('message', during);
    await clock.advance(10);
    const after = shared.sent.filter((m) => m.chatId === '5215500000010@c.us');
    expect(before).toBe(0);
    expect(after.length).toBeGreaterThan(0);
    expect(after.map((m) => m.text).join('\n')).toContain('Trabajo y justicia laboral');
    const once = after.length;
    second.emit('message', during);
    await clock.advance(10);
    expect(shared.sent.filter((m) => m.chatId === '5215500000010@c.us')).toHaveLength(once);
  });

  it('keeps replies in the outbox while the client is down, and sends them once it reconnects', async () => {
    const chat = '5215500000020@c.us';
    await say(chat, 'hola');
    const first = client();
    // The client drops just as staff answer: their words wait in the outbox, in order, nothing dropped.
    first.emit('disconnected', 'NAVIGATION');
    await flush();
    expect(adapter.isReady()).toBe(false);
    const before = shared.sent.filter((s) => s.chatId === chat).length;
    const note = (text: string) => [{ text, options: [], flow: null, step: null }];
    await adapter.sendTo('5215500000020', note('Primera respuesta'));
    await adapter.sendTo('5215500000020', note('Segunda respuesta'));
    await flush();
    expect(shared.sent.filter((s) => s.chatId === chat)).toHaveLength(before);
    expect(h.app.store.outbox.backlog()).toBe(2);
    // Reconnected after the pause: both go, in order, through the new client.
    await clock.advance(1_000);
    const second = client();
    expect(second).not.toBe(first);
    for (let i = 0; i < 50 && second.sent.length < 2; i++) {
      await clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(second.sent.map((s) => s.text)).toEqual(['Primera respuesta', 'Segunda respuesta']);
    expect(h.app.store.outbox.backlog()).toBe(0);
  });

  it('keeps replies written before a restart and sends them when the next process connects', async () => {
    const chat = '5215500000021@c.us';
    await adapter.stop();
    FakeWaClient.all = [];
    // A client that never connects: the turn commits its reply to the outbox, nothing is sent.
    adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
      factory: () => {
        const c = new FakeWaClient(shared);
        c.hang = true;
        return c;
      },
      clock,
      pacing: NO_PACING,
      initTimeoutMs: 3_600_000,
    });
    adapter.start();
    await flush();
    await h.app.bot.handle({
      channel: 'whatsapp',
      user: '5215500000021',
      event: { text: 'hola' },
      deliver: { address: chat, render: (messages) => messages.map((m) => ({ m: 'text', text: m.text })) },
    });
    await clock.advance(10);
    expect(h.app.store.outbox.backlog()).toBeGreaterThan(0);
    await adapter.stop();
    // The next process on the same database.
    h.restart();
    adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
      factory: () => new FakeWaClient(shared),
      clock,
      pacing: NO_PACING,
    });
    adapter.start();
    for (let i = 0; i < 50 && h.app.store.outbox.backlog() > 0; i++) {
      await clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(shared.sent.filter((s) => s.chatId === chat).map((s) => s.text)[0]).toContain('Hola');
    expect(h.app.store.outbox.backlog()).toBe(0);
  });

  it("quick exit deletes the bot's own messages for everyone, keeping no phone number to do it", async () => {
    const chat = '50937000010@c.us';
    await say(chat, 'bonjou');
    await say(chat, '1');
    await say(chat, 'y ap menase m');
    const ours = shared.sent.filter((s) => s.chatId === chat).map((s) => s.id!);
    expect(ours).toHaveLength(4);
    const recent = h.app.db.prepare('SELECT recent FROM sessions').pluck().get() as string;
    expect(recent.split(',')).toHaveLength(4);
    expect(recent).not.toContain('50937000010');
    expect(await say(chat, 'sòti')).toBe('OK 👍');
    expect(shared.deleted).toEqual(ours);
    expect(shared.sent.at(-1)).toMatchObject({ chatId: chat, text: 'OK 👍' });
    expect(h.app.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    // Another chat's messages are not touched.
    await say('50937000011@c.us', 'bonjou');
    await say(chat, 'sòti');
    expect(shared.deleted).toEqual(ours);
  });

  it('drops replies still waiting to be sent when the user leaves quickly', async () => {
    await adapter.stop();
    FakeWaClient.all = [];
    adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
      factory: () => new FakeWaClient(shared),
      clock,
      pacing: { perChatGapMs: 1_000, perMinute: 1_000, jitterMs: 0 },
    });
    adapter.start();
    await flush();
    const chat = '5215500000012@c.us';
    client().emit('message', waText(chat, 'hola', clock.now()));
    await clock.advance(10);
    client().emit('message', waText(chat, 'salir', clock.now()));
    await clock.advance(10_000);
    // The welcome went out before the exit was read; the menu after it was dropped.
    expect(shared.sent.filter((s) => s.chatId === chat).map((s) => s.text.slice(0, 8))).toEqual([
      'Hola, so',
      'OK 👍',
    ]);
    expect(shared.deleted).toEqual([shared.sent[0]!.id]);
    client().emit('message', waText(chat, 'hola', clock.now()));
    await clock.advance(10_000);
    expect(shared.sent.filter((s) => s.chatId === chat)).toHaveLength(4);
  });

  it('gives up on a hung initialize() and retries with a new client, with growing pauses', async () => {
    await adapter.stop();
    FakeWaClient.all = [];
    let n = 0;
    adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
      factory: () => {
        const c = new FakeWaClient(shared);
        c.hang = n++ < 2;
        return c;
      },
      clock,
      pacing: NO_PACING,
      initTimeoutMs: 30_000,
      backoff: { firstMs: 1_000, maxMs: 8_000 },
    });
    adapter.start();
    await clock.advance(30_000 + 1_000 + 30_000 + 2_000 + 10);
    expect(FakeWaClient.all).toHaveLength(3);
    expect(FakeWaClient.all.slice(0, 2).every((c) => c.destroyed)).toBe(true);
    expect(adapter.isReady()).toBe(true);
    expect(clock.sleeps).toEqual(expect.arrayContaining([1_000, 2_000]));
  });

  it('reports each change of state, for the studio, with nothing about people', async () => {
    await adapter.stop();
    FakeWaClient.all = [];
    const dir = mkdtempSync(join(tmpdir(), 'puente-wa-state-'));
    const file = join(dir, 'whatsapp-state.json');
    const states: string[] = [];
    adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
      factory: () => new FakeWaClient(shared),
      clock,
      pacing: NO_PACING,
      backoff: { firstMs: 1_000, maxMs: 8_000 },
      onState: (state) => {
        states.push(state);
        writeWaState(file, state, new Date(clock.now()));
      },
    });
    try {
      adapter.start();
      await flush();
      expect(states).toEqual(['starting', 'qr', 'authenticated', 'ready']);
      await say('5215500000010@c.us', 'hola');
      client().emit('disconnected', 'NAVIGATION');
      await clock.advance(1_000);
      expect(states.slice(4)).toEqual([
        'disconnected',
        'restarting',
        'starting',
        'qr',
        'authenticated',
        'ready',
      ]);
      expect(await adapter.checkHealth()).toBe(true);
      expect(states.at(-1)).toBe('ready');
      await adapter.stop();
      expect(readWaState(file)).toEqual({ state: 'stopped', at: new Date(clock.now()).toISOString() });
      const raw = readFileSync(file, 'utf8');
      expect(raw).not.toContain('5215500000010');
      expect(raw).not.toContain('NAVIGATION');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restarts after repeated failed health checks', async () => {
    const first = client();
    first.state = 'CONFLICT';
    expect(await adapter.checkHealth()).toBe(false);
    expect(await adapter.checkHealth()).toBe(false);
    const third = adapter.checkHealth();
    await clock.advance(1_000);
    await third;
    expect(first.destroyed).toBe(true);
    expect(client()).not.toBe(first);
    expect(await adapter.checkHealth()).toBe(true);
  });
});

describe('WhatsApp pacing through the outbox (fake clock)', () => {
  it('keeps a gap per chat, a global rate and jitter, one at a time, in order per chat', async () => {
    FakeWaClient.all = [];
    const h = new Harness();
    const clock = new FakeClock();
    const sent: Array<{ chat: string; text: string; at: number }> = [];
    const shared: FakeShared = { sent: [] };
    const adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
      factory: () => {
        const c = new FakeWaClient(shared);
        const send = c.sendMessage.bind(c);
        c.sendMessage = async (chat, text) => {
          sent.push({ chat, text, at: clock.now() });
          return send(chat, text);
        };
        return c;
      },
      clock,
      pacing: { perChatGapMs: 1_000, perMinute: 120, jitterMs: 100, random: () => 0.5 },
    });
    try {
      adapter.start();
      await flush();
      const t0 = clock.now();
      const note = (text: string) => [{ text, options: [], flow: null, step: null }];
      for (const [user, text] of [
        ['a', 'a1'],
        ['a', 'a2'],
        ['b', 'b1'],
        ['a', 'a3'],
      ] as const)
        await adapter.sendTo(user, note(text));
      await clock.advance(10_000);
      expect(sent.filter((s) => s.chat === 'a@c.us').map((s) => s.text)).toEqual(['a1', 'a2', 'a3']);
      expect(sent.map((s) => s.text).sort()).toEqual(['a1', 'a2', 'a3', 'b1']);
      // Every send waits for its jitter (50 ms here), its chat's gap (1000 ms) and the global gap (500 ms).
      expect(sent[0]!.at - t0).toBe(50);
      const ats = sent.map((s) => s.at);
      for (let i = 1; i < ats.length; i++) expect(ats[i]! - ats[i - 1]!).toBeGreaterThanOrEqual(500);
      const a = sent.filter((s) => s.chat === 'a@c.us').map((s) => s.at);
      for (let i = 1; i < a.length; i++) expect(a[i]! - a[i - 1]!).toBeGreaterThanOrEqual(1_000);
      expect(h.app.store.outbox.backlog()).toBe(0);
    } finally {
      await adapter.stop();
      h.close();
    }
  });
});

describe('WhatsApp conversion', () => {
  it('numbers the options inside the message and keeps user text from formatting', () => {
    const [text] = convertMessageToWhatsApp({
      text: `*País*: ${escapeMarkup('_yo_ *x*')}`,
      options: [
        { id: 'a', label: 'Uno' },
        { id: 'b', label: 'Dos' },
      ],
      flow: null,
      step: null,
    });
    expect(text).toBe('*País*: _\u2060yo_\u2060 *\u2060x*\u2060\n\n1. Uno\n2. Dos');
  });

  it('splits long answers', () => {
    const parts = convertMessageToWhatsApp({
      text: 'palabra '.repeat(1000),
      options: [],
      flow: null,
      step: null,
    });
    expect(parts.length).toBeGreaterThan(1);
  });

  it('takes only direct chats', () => {
    const now = Date.now();
    expect(convertWaMessageToIncoming(waText('1@c.us', 'hi', now), now - 1000)).toMatchObject({
      user: '1',
      event: { text: 'hi' },
    });
    expect(convertWaMessageToIncoming(waText('1@g.us', 'hi', now), 0)).toEqual({
      ignore: 'not a direct chat',
    });
    expect(convertWaMessageToIncoming({ nonsense: true }, 0)).toEqual({ ignore: 'malformed message' });
  });

  it('turns voice notes and audio files into voice events that carry no phone number', () => {
    const note = {
      ...waText('50937000001@c.us', '', 0),
      id: 'false_50937000001@c.us_3EB0A1B2C3',
      type: 'ptt',
    };
    expect(convertWaMessageToIncoming({ ...note, duration: '7' }, 0)).toMatchObject({
      event: { voice: { kind: 'voice', media: '3EB0A1B2C3', seconds: 7 } },
    });
    expect(convertWaMessageToIncoming({ ...note, type: 'audio' }, 0)).toMatchObject({
      event: { voice: { kind: 'audio', media: '3EB0A1B2C3' } },
    });
    const out = convertWaMessageToIncoming(note, 0);
    expect(JSON.stringify('event' in out && out.event)).not.toContain('50937000001');
  });
});
