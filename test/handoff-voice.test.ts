import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningChannel } from '../src/channels/channel.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { connectWhatsAppHandoff, WhatsAppAdapter } from '../src/channels/whatsapp/adapter.js';
import { createLogger } from '../src/runtime/log.js';
import {
  BotApiStandIn,
  callbackUpdate,
  textUpdate,
  type Upload,
  voiceUpdate,
} from './support/bot-api-standin.js';
import { CloudRig } from './support/cloud-rig.js';
import { FakeClock, type FakeShared, FakeWaClient, flush, waText, waVoice } from './support/fake-whatsapp.js';
import { wa } from './support/graph-api-standin.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };

const STAFF = -1004445556666;
const NO_PACING = { perChatGapMs: 0, perMinute: 1_000_000, jitterMs: 0 };
/** A few bytes standing for a recording: only that they arrive unchanged matters here. */
const RECORDING = Uint8Array.from(Buffer.from('OggS\u0000\u0002 a voice note, in memory only'));
const fileIdOf = (update: unknown) =>
  (update as { message: { voice: { file_id: string } } }).message.voice.file_id;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('a voice note relayed during a handoff, into the staff topic (stand-in Bot API)', () => {
  let api: BotApiStandIn;
  let h: Harness | undefined;
  let telegram: RunningChannel | undefined;
  let adapter: WhatsAppAdapter | undefined;
  let rig: CloudRig | undefined;

  afterEach(async () => {
    await adapter?.stop();
    await telegram?.stop();
    await rig?.close();
    await api?.stop();
    h?.close();
    adapter = telegram = rig = h = undefined;
  });

  const env = (root: string) => ({
    TELEGRAM_BOT_TOKEN: api.token,
    TELEGRAM_API_ROOT: root,
    STAFF_CHAT_ID: String(STAFF),
    ORG_NAME: 'Red Puente',
  });
  const topic = () => [...api.topics.keys()].at(-1)!;
  const inTopicVoices = (thread: number) =>
    api.voices(STAFF).filter((c) => Number(c.params.message_thread_id) === thread);

  describe('a Telegram user', () => {
    const texts = (chat: number) => api.sent(chat).map((c) => String(c.params.text));
    const say = async (update: unknown, chat: number, more = 1) => {
      const before = api.sent(chat).length;
      api.push(update);
      await api.until(() => api.sent(chat).length >= before + more);
    };
    async function connect(user: number, log?: LogSink): Promise<number> {
      api = new BotApiStandIn();
      const root = await api.start();
      h = new Harness(env(root), log ? { log: log.logger } : {});
      telegram = await startTelegram(h.app);
      await say(textUpdate(user, 'bonjou', 'ht'), user, 2);
      await say(textUpdate(user, 'moun', 'ht'), user, 2);
      const button = api
        .sent(user)
        .flatMap((c) => (c.params.reply_markup as Keyboard | undefined)?.inline_keyboard.flat() ?? [])
        .find((b) => /Sèlman apati kounye a/.test(b.text))!;
      await say(callbackUpdate(user, button.callback_data, api.sent(user).at(-1)!.messageId!), user);
      await api.until(() => api.topics.size === 1);
      return topic();
    }

    it('appears in their topic as a voice message, sent on by its file_id', async () => {
      const user = 811;
      const thread = await connect(user);
      const update = voiceUpdate(user, 'ht');
      await say(update, user);
      expect(texts(user).at(-1)).toContain('Li ale');
      await api.until(() => inTopicVoices(thread).length === 1);
      const [sent] = inTopicVoices(thread);
      expect(sent!.params.voice).toBe(fileIdOf(update));
      // Not a word about listening: the person on it hears it.
      expect(texts(user).join('\n')).not.toMatch(/poko ka koute/);
      // The conversation goes on: the next words go to the same topic.
      await say(textUpdate(user, 'ou tande m?', 'ht'), user, 0);
      await api.until(() => api.inTopic(STAFF, thread).includes('ou tande m?'));
    });

    it('when Telegram refuses it, staff get a note and the user is asked to write instead', async () => {
      const user = 812;
      const log = new LogSink('info');
      const thread = await connect(user, log);
      api.failNext('sendVoice', { error_code: 400, description: 'Bad Request: VOICE_MESSAGES_FORBIDDEN' });
      const update = voiceUpdate(user, 'ht');
      await say(update, user, 2);
      await api.until(() => api.inTopic(STAFF, thread).some((t) => /mensaje de voz|nota de voz/.test(t)));
      expect(api.inTopic(STAFF, thread).at(-1)).toBe(
        'Una nota de voz no se pudo pasar. Se le pidió a la persona que escriba.',
      );
      expect(texts(user).at(-1)).toBe('Mesaj vokal ou a pa t ka pase. Tanpri ekri mesaj ou ak mo.');
      // The log names the failure, never the file or the user.
      expect(log.text).toContain('handoff.relay_voice');
      expect(log.text).not.toContain(fileIdOf(update));
      expect(log.text).not.toContain(String(user));
    });
  });

  describe('a WhatsApp Web user (fake client)', () => {
    const CHAT = '50937004321@c.us';
    let shared: FakeShared;
    let clock: FakeClock;
    const texts = () => shared.sent.filter((s) => s.chatId === CHAT).map((s) => s.text);
    const client = () => FakeWaClient.all.at(-1)!;
    const until = async (check: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!check()) {
        if (Date.now() > end) throw new Error(`timed out; sent: ${texts().join(' | ')}`);
        await clock.advance(10);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const say = async (body: string) => {
      const before = texts().length;
      client().emit('message', waText(CHAT, body, clock.now()));
      await until(() => texts().length > before);
    };
    async function connect(): Promise<number> {
      FakeWaClient.all = [];
      api = new BotApiStandIn();
      const root = await api.start();
      clock = new FakeClock();
      h = new Harness(env(root), { now: () => clock.now() });
      telegram = await startTelegram(h.app);
      shared = { sent: [] };
      adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
        factory: () => new FakeWaClient(shared),
        clock,
        pacing: NO_PACING,
      });
      connectWhatsAppHandoff(h.app.handoff!, adapter);
      adapter.start();
      await flush();
      await say('bonjou');
      await say('moun');
      await say('2');
      await until(() => api.topics.size === 1);
      return topic();
    }

    it('is downloaded through the client and appears in the topic as a voice message', async () => {
      const thread = await connect();
      const note = waVoice(shared, CHAT, RECORDING, clock.now());
      const before = texts().length;
      client().emit('message', note);
      await until(() => inTopicVoices(thread).length === 1);
      expect(shared.downloads).toEqual([note.id]);
      const upload = inTopicVoices(thread)[0]!.params.voice as Upload;
      expect(upload.size).toBe(RECORDING.length);
      expect(upload.sha256).toBe(sha256(RECORDING));
      expect(upload.filename).toBe('voice.ogg');
      await until(() => texts().length > before);
      expect(texts().at(-1)).toContain('Li ale');
    });

    it('that WhatsApp no longer has: staff get a note and the user is asked to write instead', async () => {
      const thread = await connect();
      client().emit('message', waVoice(shared, CHAT, null, clock.now()));
      await until(() => texts().some((t) => t.includes('Mesaj vokal ou a pa t ka pase')));
      await until(() => api.inTopic(STAFF, thread).at(-1)?.startsWith('Una nota de voz') ?? false);
      expect(inTopicVoices(thread)).toEqual([]);
      // The conversation goes on: the next words still reach the topic.
      client().emit('message', waText(CHAT, 'm ap ekri', clock.now()));
      await until(() => api.inTopic(STAFF, thread).includes('m ap ekri'));
    });
  });

  it('a Cloud API user: fetched from the media endpoint with the token, and uploaded into the topic', async () => {
    api = new BotApiStandIn();
    const root = await api.start();
    const clock = new FakeClock();
    rig = await CloudRig.start({ clock, env: env(root) });
    telegram = await startTelegram(rig.h.app);
    const from = '50937000777';
    const say = (body: string) => rig!.exchange(wa.text(from, body, clock.now()));
    await say('bonjou');
    await say('moun');
    await say('2');
    await api.until(() => api.topics.size === 1);
    const thread = topic();
    rig.api.incoming.set('media1', { bytes: RECORDING, mime: 'audio/ogg; codecs=opus' });
    await rig.exchange(wa.voice(from, clock.now()));
    await api.until(() => inTopicVoices(thread).length === 1);
    const upload = inTopicVoices(thread)[0]!.params.voice as Upload;
    expect(upload.sha256).toBe(sha256(RECORDING));
    const fetched = rig.api.calls.filter((c) => c.method === 'GET' && /media1$/.test(c.path));
    expect(fetched.map((c) => c.path)).toEqual([`/${rig.api.version}/media1`, '/download/media1']);
    expect(fetched.every((c) => c.auth === `Bearer ${rig!.api.token}`)).toBe(true);
  });
});
