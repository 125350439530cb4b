import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningChannel } from '../src/channels/channel.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import {
  BotApiStandIn,
  callbackUpdate,
  groupUpdate,
  memberUpdate,
  stickerUpdate,
  textUpdate,
} from './support/bot-api-standin.js';
import { Harness } from './support/harness.js';

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };

describe('Telegram channel against a local Bot API stand-in (long polling)', () => {
  let api: BotApiStandIn;
  let h: Harness;
  let channel: RunningChannel;

  beforeEach(async () => {
    api = new BotApiStandIn();
    const root = await api.start();
    h = new Harness({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root });
    channel = await startTelegram(h.app);
  });

  afterEach(async () => {
    await channel.stop();
    await api.stop();
    h.close();
  });

  const lastSent = (chat: number) => api.sent(chat).at(-1)!.params;
  const keyboard = (chat: number) => (lastSent(chat).reply_markup as Keyboard).inline_keyboard.flat();

  it('registers the commands in each language and answers /start with the menu as buttons', async () => {
    api.push(textUpdate(501, '/start', 'es'));
    await api.until(() => api.sent(501).length >= 2);
    const langs = api.calls
      .filter((c) => c.method === 'setMyCommands')
      .map((c) => c.params.language_code ?? 'default');
    expect(langs).toEqual(expect.arrayContaining(['default', 'es', 'en', 'ht']));
    expect(lastSent(501).parse_mode).toBe('HTML');
    const buttons = keyboard(501);
    expect(buttons.map((b) => b.text)).toContain('Trabajo y justicia laboral');
    for (const b of buttons) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
  });

  it('opens a deep link in Creole, and a button press answers the callback and removes the keyboard', async () => {
    api.push(textUpdate(502, '/start ht_labor_leader7', 'es'));
    await api.until(() => api.sent(502).length >= 2);
    expect(lastSent(502).text).toContain('Dwa ou nan travay');
    const wages = keyboard(502).find((b) => b.callback_data.startsWith('o|unpaid|'))!;
    const menuMessageId = 1000 + api.sent().length - 1;
    api.push(callbackUpdate(502, wages.callback_data, menuMessageId));
    await api.until(
      () => api.calls.some((c) => c.method === 'answerCallbackQuery') && api.sent(502).length >= 3,
    );
    expect(api.calls.find((c) => c.method === 'editMessageReplyMarkup')?.params).toMatchObject({
      chat_id: 502,
      message_id: menuMessageId,
    });
    expect(lastSent(502).text).toContain('<b>');
    expect(keyboard(502).map((b) => b.callback_data)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^o\|yes/)]),
    );
  });

  it('answers a free-text FAQ question, a sticker, and /stop', async () => {
    api.push(textUpdate(503, 'hola', 'es'));
    await api.until(() => api.sent(503).length >= 2);
    api.push(textUpdate(503, 'mi patron no me paga el salario', 'es'));
    await api.until(() => api.sent(503).length >= 3);
    expect(lastSent(503).text).toContain('Salario no pagado');
    api.push(stickerUpdate(503));
    await api.until(() => api.sent(503).length >= 5);
    expect(api.sent(503).at(-2)!.params.text).toContain('solo puedo leer texto');
    api.push(textUpdate(503, '/stop', 'es'));
    await api.until(() => api.sent(503).length >= 6);
    expect(lastSent(503).text).toContain('Borramos lo que guardábamos de ti');
    expect(h.app.store.sessions.read(h.app.bot.userKeyOf('telegram', '503'))).toBeNull();
  });

  it('deletes the data of a user who blocks the bot, and sends nothing', async () => {
    api.push(textUpdate(507, 'hola', 'es'));
    await api.until(() => api.sent(507).length >= 2);
    const key = h.app.bot.userKeyOf('telegram', '507');
    expect(h.app.store.sessions.read(key)).not.toBeNull();
    api.push(memberUpdate(507, 'kicked'));
    await api.until(() => h.app.store.sessions.read(key) === null);
    expect(h.app.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    expect(api.sent(507)).toHaveLength(2);
    expect(api.calls.find((c) => c.method === 'getUpdates')?.params.allowed_updates).toContain(
      'my_chat_member',
    );
  });

  it("quick exit deletes the chat's recent messages, the bot's and the user's, the command too", async () => {
    const updates = [
      textUpdate(509, 'hola', 'es'),
      textUpdate(509, '1', 'es'),
      textUpdate(509, 'me pegan', 'es'),
    ];
    for (const [i, u] of updates.entries()) {
      api.push(u);
      await api.until(() => api.sent(509).length >= [2, 3, 4][i]!);
    }
    const exit = textUpdate(509, 'salir', 'es');
    api.push(exit);
    await api.until(() => api.sent(509).length >= 5);
    const bots = api
      .sent(509)
      .slice(0, 4)
      .map((c) => c.messageId!);
    const users = [...updates, exit].map((u) => u.message.message_id);
    expect(api.deletedIn(509).sort((a, b) => a - b)).toEqual([...users, ...bots].sort((a, b) => a - b));
    // The history goes first; then the one short line, which stays.
    const firstDelete = api.calls.findIndex((c) => c.method === 'deleteMessage');
    expect(api.calls.findIndex((c) => c === api.sent(509).at(-1))).toBeGreaterThan(firstDelete);
    expect(lastSent(509).text).toBe('OK 👍');
    expect(lastSent(509).reply_markup).toBeUndefined();
    expect(h.app.store.sessions.read(h.app.bot.userKeyOf('telegram', '509'))).toBeNull();
    expect(h.app.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
  });

  it("the card's quick exit button deletes the history as well", async () => {
    api.push(textUpdate(510, 'hello', 'en'));
    await api.until(() => api.sent(510).length >= 2);
    api.push(textUpdate(510, 'help me', 'en'));
    await api.until(() => api.sent(510).length >= 3);
    const exit = keyboard(510).find((b) => b.callback_data.startsWith('o|exit'))!;
    api.push(callbackUpdate(510, exit.callback_data, api.sent(510).at(-1)!.messageId!));
    await api.until(() => api.sent(510).length >= 4);
    expect(api.deletedIn(510)).toHaveLength(5);
    expect(lastSent(510).text).toBe('OK 👍');
  });

  it('handles a duplicated update once, and ignores group chats', async () => {
    const update = textUpdate(504, 'hello', 'en');
    api.push(update, update);
    api.push(groupUpdate(505, 'hola'));
    api.push(textUpdate(504, 'menu', 'en'));
    await api.until(() => api.sent(504).length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(api.sent(504)).toHaveLength(3);
    expect(api.sent(-100)).toHaveLength(0);
  });

  it('honours retry_after on a 429 and still delivers the message', async () => {
    api.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    });
    api.push(textUpdate(506, 'hola', 'es'));
    await api.until(() => api.sent(506).length >= 3);
    const [refused, retried] = api.sent(506);
    expect(refused!.params.text).toBe(retried!.params.text);
    expect(retried!.at - refused!.at).toBeGreaterThanOrEqual(950);
  });
});

describe('Telegram webhook mode', () => {
  it('accepts updates only with the secret token, and handles each once', async () => {
    const api = new BotApiStandIn();
    const root = await api.start();
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const h = new Harness({
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: root,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/telegram/hook',
      TELEGRAM_WEBHOOK_SECRET: 'the-secret',
      TELEGRAM_WEBHOOK_PORT: String(port),
    });
    const channel = await startTelegram(h.app);
    try {
      expect(api.calls.find((c) => c.method === 'setWebhook')?.params).toMatchObject({
        url: 'https://bot.example.org/telegram/hook',
        secret_token: 'the-secret',
      });
      const post = (secret: string | undefined, body: unknown) =>
        fetch(`http://127.0.0.1:${port}/telegram/hook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}),
          },
          body: JSON.stringify(body),
        });
      const update = textUpdate(601, 'hola', 'es');
      expect((await post(undefined, update)).status).toBe(401);
      expect((await post('wrong', update)).status).toBe(401);
      expect((await post('the-secret', update)).status).toBe(200);
      expect((await post('the-secret', update)).status).toBe(200);
      expect(api.sent(601)).toHaveLength(2);
    } finally {
      await channel.stop();
      await api.stop();
      h.close();
    }
  });
});
