import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningChannel } from '../src/channels/channel.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { WHATSAPP_CHANNEL, WhatsAppAdapter } from '../src/channels/whatsapp/adapter.js';
import { createLogger } from '../src/runtime/log.js';
import { BotApiStandIn, supergroupUpdate } from './support/bot-api-standin.js';
import { FakeClock, type FakeShared, FakeWaClient, flush, waText } from './support/fake-whatsapp.js';
import { Harness } from './support/harness.js';

const NO_PACING = { perChatGapMs: 0, perMinute: 1_000_000, jitterMs: 0 };
const STAFF = -1009876543210;
const CHAT = '50937001234@c.us';

describe('talking to a person: a WhatsApp Web user (fake client) and the Telegram staff group', () => {
  let api: BotApiStandIn;
  let h: Harness;
  let telegram: RunningChannel;
  let clock: FakeClock;
  let adapter: WhatsAppAdapter;
  let shared: FakeShared;

  beforeEach(async () => {
    FakeWaClient.all = [];
    api = new BotApiStandIn();
    const root = await api.start();
    clock = new FakeClock();
    h = new Harness(
      {
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: root,
        STAFF_CHAT_ID: String(STAFF),
        ORG_NAME: 'Red Puente',
      },
      { now: () => clock.now() },
    );
    telegram = await startTelegram(h.app);
    shared = { sent: [] };
    adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
      factory: () => new FakeWaClient(shared),
      clock,
      pacing: NO_PACING,
    });
    h.app.handoff!.relay.register(WHATSAPP_CHANNEL, (user, messages) => adapter.sendTo(user, messages));
    adapter.start();
    await flush();
  });

  afterEach(async () => {
    await adapter.stop();
    await telegram.stop();
    await api.stop();
    h.close();
  });

  const client = () => FakeWaClient.all.at(-1)!;
  const texts = () => shared.sent.filter((s) => s.chatId === CHAT).map((s) => s.text);
  /** Waits for real HTTP (the staff group) while moving the WhatsApp pacer's clock. */
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
    return texts().at(-1)!;
  };
  const topic = () => [...api.topics.entries()].at(-1)!;

  it('asks, connects, relays both ways, sends an FAQ entry in Creole, keeps the card, and /close returns the user to the bot', async () => {
    await say('bonjou');
    const consent = await say('moun');
    expect(texts().join('\n')).toContain('Yon moun nan *Red Puente* ap li sa w ekri isit la.');
    expect(consent).toMatch(/1\. Wi, dènye mesaj yo/);
    expect(consent).toMatch(/2\. Sèlman apati kounye a/);
    await say('1');
    await until(() => api.topics.size === 1);
    const [thread, { name }] = topic();
    expect(name).toMatch(/^ht · [2-9A-Z]{4}$/);
    expect(name).not.toContain('5093700');
    await until(() => api.inTopic(STAFF, thread).some((t) => t.includes('WhatsApp')));
    expect(api.inTopic(STAFF, thread).join('\n')).not.toContain('5093700');

    // The user's message appears in the topic.
    await say('patwon an pa peye m');
    await until(() => api.inTopic(STAFF, thread).includes('patwon an pa peye m'));

    // A staff reply reaches the user through the WhatsApp client.
    api.push(supergroupUpdate(STAFF, 31, 'Bonjou! Ki kote w ap travay?', thread));
    await until(() => texts().some((t) => t.includes('Bonjou! Ki kote w ap travay?')));
    expect(texts().at(-1)).toContain('👤 *Red Puente*:');

    // /faq in Creole.
    api.push(supergroupUpdate(STAFF, 31, '/faq labor.unpaid-wages', thread));
    await until(() => texts().some((t) => t.startsWith('*Salè ki pa peye*')));

    // Danger still gets the emergency card.
    expect(await say('mari m bat mwen chak jou')).toMatch(/danje/);
    await until(() => api.inTopic(STAFF, thread).includes('mari m bat mwen chak jou'));

    // /close: the user is told and is back with the bot.
    api.push(supergroupUpdate(STAFF, 31, '/close', thread));
    await until(() => texts().some((t) => t.includes('Moun nan fèmen konvèsasyon sa a')));
    await until(() => api.topics.get(thread)!.closed);
    const answer = await say('patwon an pa peye m');
    expect(answer).toContain('Salè ki pa peye');
  });

  it('quick exit closes the topic and tells staff only that the user left', async () => {
    await say('bonjou');
    await say('moun');
    await say('2');
    await until(() => api.topics.size === 1);
    const [thread] = topic();
    await say('sòti');
    await until(() => api.topics.get(thread)!.closed);
    expect(api.inTopic(STAFF, thread).at(-1)).toBe('La persona se fue. Conversación cerrada.');
  });
});
