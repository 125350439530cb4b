import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningChannel } from '../src/channels/channel.js';
import type { TranscriptLine } from '../src/channels/console.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { WhatsAppAdapter } from '../src/channels/whatsapp/adapter.js';
import { createLogger } from '../src/runtime/log.js';
import { contentWithAudio, TONE, UNPAID } from './support/audio-content.js';
import { BotApiStandIn, textUpdate, type Upload, voiceUpdate } from './support/bot-api-standin.js';
import { CloudRig } from './support/cloud-rig.js';
import { FakeClock, type FakeShared, FakeWaClient, flush, waText } from './support/fake-whatsapp.js';
import { wa } from './support/graph-api-standin.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';
import { PgHarness } from './support/pg-harness.js';

const HT = `audio/${UNPAID}.ht.ogg`;
const ES = `audio/${UNPAID}.es.ogg`;
const VOICE = { voice: { kind: 'voice' as const, seconds: 5 } };
const answer = (lines: TranscriptLine[]) => lines.find((l) => l.faq === UNPAID);
const ids = (line: TranscriptLine | undefined) => line?.options.map((o) => o.id) ?? [];

let dir = '';
beforeAll(() => {
  dir = contentWithAudio();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recorded answers in the engine', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness({ CONTENT_DIR: dir });
  });
  afterEach(() => h.close());

  const ask = (user: string) => h.say(user, 'patwon an pa peye m kòb la');

  it('offers "listen" on an answer with a recording, and sends it when asked, audio off by default', async () => {
    await h.say('ht-1', 'bonjou', 'ht');
    const shown = answer(await ask('ht-1'));
    expect(shown?.text).toContain('Salè ki pa peye');
    expect(shown?.audio).toBeUndefined();
    expect(shown?.options[0]).toEqual({ id: 'listen', label: '🔊 Koute' });
    const [heard, ...rest] = await h.send('ht-1', { choice: 'listen' });
    expect(rest).toEqual([]);
    expect(heard).toMatchObject({ audio: HT, faq: UNPAID });
    expect(heard!.text).toContain('Salè ki pa peye');
    // The same follow-up options: the user can still say whether it helped, or listen again.
    expect(ids(heard)).toEqual(ids(shown));
    // Typed, by its number, as on WhatsApp.
    expect((await h.say('ht-1', '1'))[0]).toMatchObject({ audio: HT });
  });

  it('sends recordings after the text once audio is on, and stops on "audio off", in any language', async () => {
    await h.say('ht-2', 'bonjou', 'ht');
    const on = await h.say('ht-2', 'odyo wi');
    expect(on[0]!.text).toContain('Odyo limen');
    expect(answer(await ask('ht-2'))?.audio).toBe(HT);
    const off = await h.say('ht-2', 'audio off');
    expect(off[0]!.text).toContain('Odyo fèmen');
    const shown = answer(await ask('ht-2'));
    expect(shown?.audio).toBeUndefined();
    expect(ids(shown)).toContain('listen');
    const key = h.app.bot.userKeyOf('console', 'ht-2');
    expect((await h.app.store.session(key))?.session.audio).toBe(false);
  });

  it('gives no "listen" where the answer is not recorded in the user\'s language', async () => {
    await h.say('en-1', 'hello', 'en');
    const shown = answer(await h.say('en-1', 'my boss does not pay me'));
    expect(shown?.text).toContain('Unpaid wages');
    expect(ids(shown)).not.toContain('listen');
    expect((await h.say('en-1', 'audio on'))[0]!.text).toContain('Audio on');
    expect(answer(await h.say('en-1', 'my boss does not pay me'))?.audio).toBeUndefined();
  });

  it('sends the recording of a flow message to a user who sends voice notes', async () => {
    await h.say('ht-3', 'bonjou', 'ht');
    expect(
      (await h.send('ht-3', { start: 'ht_trafficking' })).find((l) => l.step === 'safety')?.audio,
    ).toBeUndefined();
    await h.send('ht-3', VOICE);
    const safety = (await h.send('ht-3', { start: 'ht_trafficking' })).find((l) => l.step === 'safety');
    expect(safety?.audio).toBe('audio/trafficking.safety.ht.ogg');
    expect(
      (await h.send('es-3', { start: 'es_trafficking' })).find((l) => l.step === 'safety')?.audio,
    ).toBeUndefined();
  });
});

describe('voice notes in', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness({ CONTENT_DIR: dir });
  });
  afterEach(() => h.close());

  it('answers a voice note in Creole: not yet, a person or the menu; counts it; turns recordings on', async () => {
    await h.say('ht-4', 'bonjou', 'ht');
    const [reply, ...rest] = await h.send('ht-4', VOICE);
    expect(rest).toEqual([]);
    expect(reply!.text).toBe(
      '🎙️ Mwen poko ka koute mesaj vokal. Tanpri ekri kesyon ou oswa chwazi yon opsyon.',
    );
    expect(reply!.options).toEqual([
      { id: 'human', label: '🙋 Pale ak yon moun' },
      { id: 'menu', label: '🏠 Meni prensipal' },
    ]);
    expect((await h.say('ht-4', '1'))[0]!.text).toContain('Pale ak yon moun');
    // Whoever sends voice notes gets the recordings, without asking.
    expect(answer(await h.say('ht-4', 'patwon an pa peye m kòb la'))?.audio).toBe(HT);
    // A choice made stays made, whatever comes after.
    await h.say('ht-4', 'odyo non');
    await h.send('ht-4', VOICE);
    expect(answer(await h.say('ht-4', 'patwon an pa peye m kòb la'))?.audio).toBeUndefined();
    const report = await h.app.store.report(0);
    expect(report.voice).toEqual([
      { day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), lang: 'ht', count: 2 },
    ]);
  });

  it('keeps the user where they were: "back" returns to the question, and typed text is read there', async () => {
    await h.say('es-5', 'hola', 'es');
    await h.say('es-5', '1');
    const [reply] = await h.send('es-5', VOICE);
    expect(reply!.options.map((o) => o.id)).toEqual(['human', 'back', 'menu']);
    expect((await h.say('es-5', 'atrás')).at(-1)!.text).toContain('Tus derechos en el trabajo');
    await h.send('es-5', VOICE);
    expect(answer(await h.say('es-5', 'mi patron no me paga'))?.audio).toBe(ES);
  });

  it('answers a first voice note in the three languages, asks for the language, and counts it as such', async () => {
    const lines = await h.send('new-1', VOICE);
    expect(lines[0]!.text.split('\n\n')).toEqual([
      '🎙️ Todavía no puedo escuchar notas de voz. Escríbeme tu pregunta o elige una opción.',
      "🎙️ I can't listen to voice notes yet. Please write your question or choose an option.",
      '🎙️ Mwen poko ka koute mesaj vokal. Tanpri ekri kesyon ou oswa chwazi yon opsyon.',
    ]);
    expect(lines.at(-1)!.flow).toBe('language');
    await h.say('new-1', '3');
    expect(answer(await h.say('new-1', 'patwon an pa peye m kòb la'))?.audio).toBe(HT);
    expect((await h.app.store.report(0)).voice).toEqual([expect.objectContaining({ lang: null, count: 1 })]);
  });
});

describe('voice notes on PostgreSQL', () => {
  it('answers a voice note, turns recordings on in the session, and counts it per day and language', async () => {
    const pg = await PgHarness.open();
    try {
      await pg.send('ht-pg', { text: 'bonjou' }, { lang: 'ht', sure: true });
      const [reply] = await pg.send('ht-pg', VOICE);
      expect(reply!.text).toContain('Mwen poko ka koute mesaj vokal');
      await pg.send('new-pg', VOICE);
      const key = pg.app.bot.userKeyOf('console', 'ht-pg');
      expect((await pg.app.store.session(key))?.session.voice).toBe(true);
      const day = expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/);
      expect((await pg.app.store.report(0)).voice).toEqual([
        { day, lang: null, count: 1 },
        { day, lang: 'ht', count: 1 },
      ]);
    } finally {
      await pg.close();
    }
  });
});

describe('Telegram: recorded answers as voice notes', () => {
  let api: BotApiStandIn;
  let h: Harness;
  let channel: RunningChannel;
  let sink: LogSink;
  beforeEach(async () => {
    api = new BotApiStandIn();
    const root = await api.start();
    sink = new LogSink('info');
    h = new Harness(
      { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root, CONTENT_DIR: dir },
      { log: sink.logger },
    );
    channel = await startTelegram(h.app);
  });
  afterEach(async () => {
    await channel.stop();
    await api.stop();
    h.close();
  });

  /** Sends an update and waits until the bot has answered it with `count` messages of `method` in all. */
  const push = async (update: unknown, user: number, method: 'sendMessage' | 'sendVoice', count: number) => {
    api.push(update);
    await api.until(
      () => api.calls.filter((c) => c.method === method && Number(c.params.chat_id) === user).length >= count,
    );
  };
  const unpaidShown = (user: number) =>
    api.sent(user).filter((c) => String(c.params.text).includes('Salario no pagado')).length;

  it('uploads the file once, then sends the kept file_id; the text always comes first', async () => {
    await push(textUpdate(701, 'hola'), 701, 'sendMessage', 2);
    await push(voiceUpdate(701), 701, 'sendMessage', 3);
    await push(textUpdate(701, 'mi patron no me paga'), 701, 'sendVoice', 1);
    const [first] = api.voices(701);
    const tone = readFileSync(TONE);
    expect(first!.params.voice).toEqual({
      filename: `${UNPAID}.es.ogg`,
      size: tone.length,
      sha256: expect.any(String),
    });
    const text = api.calls.findIndex(
      (c) => c.method === 'sendMessage' && String(c.params.text).includes('Salario no pagado'),
    );
    expect(text).toBeGreaterThan(-1);
    expect(text).toBeLessThan(api.calls.indexOf(first!));

    // Another user, another chat: the same file goes by its file_id, not uploaded again.
    await push(textUpdate(702, 'hola'), 702, 'sendMessage', 2);
    await push(textUpdate(702, 'audio si'), 702, 'sendMessage', 3);
    await push(textUpdate(702, 'mi patron no me paga'), 702, 'sendVoice', 1);
    const [second] = api.voices(702);
    expect(typeof second!.params.voice).toBe('string');
    expect(api.files.get(second!.params.voice as string)).toEqual(first!.params.voice as Upload);
    expect(api.voices().filter((c) => typeof c.params.voice === 'object')).toHaveLength(1);
  });

  it('sends the text even when the voice note is refused, and goes on answering', async () => {
    await push(textUpdate(703, 'hola'), 703, 'sendMessage', 2);
    await push(voiceUpdate(703), 703, 'sendMessage', 3);
    api.failNext('sendVoice', { error_code: 400, description: 'Bad Request: VOICE_MESSAGES_FORBIDDEN' });
    await push(textUpdate(703, 'mi patron no me paga'), 703, 'sendVoice', 1);
    await api.until(() => unpaidShown(703) === 1);
    await push(textUpdate(703, 'menu'), 703, 'sendMessage', api.sent(703).length + 1);
    expect(sink.text).toContain('telegram.voice_failed');
    // A refused file_id is uploaded again.
    await push(textUpdate(703, 'mi patron no me paga'), 703, 'sendVoice', 2);
    const kept = [...api.files.keys()];
    api.files.clear();
    await push(textUpdate(703, 'mi patron no me paga'), 703, 'sendVoice', 4);
    const [refused, again] = api.voices(703).slice(2);
    expect(kept).toContain(refused!.params.voice);
    expect(again!.params.voice).toMatchObject({ filename: `${UNPAID}.es.ogg` });
  });
});

describe('WhatsApp Web: recorded answers as voice notes', () => {
  let h: Harness;
  let clock: FakeClock;
  let adapter: WhatsAppAdapter;
  let shared: FakeShared;
  beforeEach(async () => {
    FakeWaClient.all = [];
    h = new Harness({ CONTENT_DIR: dir });
    clock = new FakeClock();
    shared = { sent: [] };
    adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
      factory: () => new FakeWaClient(shared),
      clock,
      pacing: { perChatGapMs: 0, perMinute: 1_000_000, jitterMs: 0 },
      dataDir: join(dir, 'data'),
    });
    adapter.start();
    await flush();
  });
  afterEach(async () => {
    await adapter.stop();
    h.close();
  });

  const chat = '50937000010@c.us';
  const emit = async (message: object) => {
    FakeWaClient.all.at(-1)!.emit('message', message);
    await clock.advance(10);
  };

  it('sends the file as a voice note after the text, and the text alone when the voice note fails', async () => {
    await emit(waText(chat, 'bonjou', clock.now()));
    await emit({ ...waText(chat, '', clock.now()), type: 'ptt', duration: '3' });
    expect(shared.sent.at(-1)!.text).toContain('Mwen poko ka koute mesaj vokal');
    const before = shared.sent.length;
    await emit(waText(chat, 'patwon an pa peye m kòb la', clock.now()));
    const out = shared.sent.slice(before);
    expect(out.map((s) => (s.voice ? 'voice' : 'text'))).toEqual(['text', 'voice']);
    expect(out[0]!.text).toContain('Salè ki pa peye');
    expect(out[1]!.voice).toBe(join(dir, 'data', HT));

    FakeWaClient.all.at(-1)!.failVoice = true;
    const after = shared.sent.length;
    await emit(waText(chat, 'patwon an pa peye m kòb la', clock.now()));
    await emit(waText(chat, 'meni', clock.now()));
    const next = shared.sent.slice(after);
    expect(next.map((s) => (s.voice ? 'voice' : 'text'))).toEqual(['text', 'text']);
    expect(next[1]!.text).toContain('1. Dwa travay ak jistis');
  });
});

describe('WhatsApp Cloud API: recorded answers as audio messages', () => {
  let rig: CloudRig;
  beforeEach(async () => {
    rig = await CloudRig.start({ env: { CONTENT_DIR: dir } });
  });
  afterEach(async () => rig.close());

  it('uploads the file once, sends it by media id after the text, and uploads again when Meta forgot it', async () => {
    const from = '50937000020';
    await rig.exchange(wa.text(from, 'bonjou'));
    const reply = await rig.exchange(wa.voice(from));
    expect(JSON.stringify(reply)).toContain('Mwen poko ka koute mesaj vokal');
    const first = await rig.exchange(wa.text(from, 'patwon an pa peye m kòb la'));
    expect(first.map((m) => m.type)).toEqual(['interactive', 'audio']);
    const [upload] = rig.api.uploads();
    expect(upload!.body).toMatchObject({
      messaging_product: 'whatsapp',
      type: 'audio/ogg',
      file: { filename: `${UNPAID}.ht.ogg`, size: readFileSync(TONE).length },
    });
    const id = (first[1]!.audio as { id: string }).id;
    const second = await rig.exchange(wa.text(from, 'patwon an pa peye m kòb la'));
    expect(second.at(-1)).toMatchObject({ type: 'audio', audio: { id } });
    expect(rig.api.uploads()).toHaveLength(1);

    rig.api.media.clear();
    const third = await rig.exchange(wa.text(from, 'patwon an pa peye m kòb la'));
    expect(third.map((m) => m.type)).toEqual(['interactive', 'audio']);
    expect(rig.api.uploads()).toHaveLength(2);
    expect((third[1]!.audio as { id: string }).id).not.toBe(id);
  });
});
