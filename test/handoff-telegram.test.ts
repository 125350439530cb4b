import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningChannel } from '../src/channels/channel.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { buildReport, reportToCsv } from '../src/report/report.js';
import { readStudioReport, sqliteSource } from '../src/studio/report.js';
import { BotApiStandIn, callbackUpdate, supergroupUpdate, textUpdate } from './support/bot-api-standin.js';
import { Harness } from './support/harness.js';

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };

const STAFF = -1001234567890;
const STAFF_MEMBER = 777;
/** Wednesday 2 December 2026, 10:00 in Guatemala (UTC-6): the team is at work. */
const WEDNESDAY_10 = Date.UTC(2026, 11, 2, 16, 0);
/** Saturday 5 December 2026, 10:00 in Guatemala: nobody is. */
const SATURDAY_10 = Date.UTC(2026, 11, 5, 16, 0);

describe('talking to a person: a Telegram user and the staff group (stand-in Bot API)', () => {
  let api: BotApiStandIn;
  let h: Harness;
  let channel: RunningChannel;
  let now = WEDNESDAY_10;

  beforeEach(async () => {
    now = WEDNESDAY_10;
    api = new BotApiStandIn();
    const root = await api.start();
    h = new Harness(
      {
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: root,
        STAFF_CHAT_ID: String(STAFF),
        ORG_NAME: 'Red Puente',
        HANDOFF_HOURS: 'Mon-Fri 08:00-17:00',
        HANDOFF_TZ: 'America/Guatemala',
      },
      { now: () => now },
    );
    channel = await startTelegram(h.app);
  });

  afterEach(async () => {
    await channel.stop();
    await api.stop();
    h.close();
  });

  const texts = (chat: number) => api.sent(chat).map((c) => String(c.params.text));
  const buttons = (chat: number) =>
    api
      .sent(chat)
      .flatMap((c) => (c.params.reply_markup as Keyboard | undefined)?.inline_keyboard.flat() ?? []);
  const topic = () => [...api.topics.entries()].at(-1)!;
  /** Sends a message and waits until the bot has written `more` more messages to `chat`. */
  const say = async (update: unknown, chat: number, more = 1) => {
    const before = api.sent(chat).length;
    api.push(update);
    await api.until(() => api.sent(chat).length >= before + more);
  };
  const press = async (user: number, label: RegExp, more = 1) => {
    const button = [...buttons(user)].reverse().find((b) => label.test(b.text))!;
    expect(button, String(label)).toBeDefined();
    await say(callbackUpdate(user, button.callback_data, api.sent(user).at(-1)!.messageId!), user, more);
  };

  /** A Creole user asks for a person with "moun" and agrees to share the recent messages. */
  async function connectCreoleUser(user: number): Promise<number> {
    await say(textUpdate(user, 'bonjou', 'ht'), user, 2);
    await say(textUpdate(user, 'moun', 'ht'), user, 2);
    await press(user, /Wi, dènye mesaj yo/);
    await api.until(() => api.calls.some((c) => c.method === 'createForumTopic'));
    const [thread] = topic();
    await api.until(() => api.inTopic(STAFF, thread).length >= 3);
    return thread;
  }

  it('opens a pseudonymous topic, relays both ways, sends an FAQ entry in Creole, and /close returns the user to the bot', async () => {
    const user = 601;
    const thread = await connectCreoleUser(user);

    // Before connecting: who reads, the hours and when to expect an answer, and "menu" to go back.
    const told = texts(user).join('\n');
    expect(told).toContain('Red Puente');
    expect(told).toContain('lendi rive vandredi 08:00–17:00');
    expect(told).toContain('anvan 17:00');
    expect(told).toContain('meni');
    expect(told).toMatch(/jiska 10/);

    // The topic's name: language and a pseudonym, nothing of the user.
    const [, { name, chatId }] = topic();
    expect(chatId).toBe(STAFF);
    expect(name).toMatch(/^ht · [2-9A-HJKMNP-Z]{4}$/);
    expect(name).not.toMatch(/601|Test/);
    const staffSees = api.inTopic(STAFF, thread).join('\n');
    expect(staffSees).toContain('ht (kreyòl)');
    // The user agreed: the recent messages, theirs and the bot's.
    expect(staffSees).toContain('bonjou');
    expect(staffSees).not.toContain('601');

    // The user's words appear in the topic, as written, and are not searched.
    await say(textUpdate(user, 'patwon an pa peye m depi 2 mwa', 'ht'), user);
    await api.until(() => api.inTopic(STAFF, thread).includes('patwon an pa peye m depi 2 mwa'));
    expect(texts(user).at(-1)).toContain('Li ale');
    expect(texts(user).join('\n')).not.toContain('Salè ki pa peye');

    // A staff reply reaches the user.
    await say(supergroupUpdate(STAFF, STAFF_MEMBER, 'Bonjou, mwen se Ana. Nan ki peyi ou ye?', thread), user);
    expect(texts(user).at(-1)).toContain('Red Puente');
    expect(texts(user).at(-1)).toContain('Bonjou, mwen se Ana. Nan ki peyi ou ye?');

    // /faq sends the curated answer in the user's language; staff are told it went.
    const staffBefore = api.inTopic(STAFF, thread).length;
    await say(supergroupUpdate(STAFF, STAFF_MEMBER, '/faq labor.unpaid-wages', thread), user);
    expect(texts(user).at(-1)).toContain('Salè ki pa peye');
    await api.until(() => api.inTopic(STAFF, thread).length > staffBefore);
    expect(api.inTopic(STAFF, thread).at(-1)).toContain('labor.unpaid-wages');

    // /lang tells staff the language; /note stays in the group.
    const sentToUser = api.sent(user).length;
    api.push(supergroupUpdate(STAFF, STAFF_MEMBER, '/lang', thread));
    api.push(
      supergroupUpdate(STAFF, STAFF_MEMBER, '/note she may have a case, ask about the contract', thread),
    );
    await api.until(() =>
      api.inTopic(STAFF, thread).some((t) => t.includes('kreyòl') && t.includes('Idioma')),
    );
    // Anything outside the staff group's topics is not relayed: another group, the general chat.
    api.push(supergroupUpdate(-1009999999999, STAFF_MEMBER, 'from another group', thread));
    api.push(supergroupUpdate(STAFF, STAFF_MEMBER, 'in the general chat'));
    await say(supergroupUpdate(STAFF, STAFF_MEMBER, 'Ou la?', thread), user);
    expect(
      api
        .sent(user)
        .slice(sentToUser)
        .map((c) => String(c.params.text)),
    ).toEqual([expect.stringContaining('Ou la?')]);

    // Danger during the conversation: the emergency card, and the person sees the words too.
    await say(textUpdate(user, 'mari m bat mwen chak jou', 'ht'), user);
    expect(api.sent(user).at(-1)!.params.text).toMatch(/danje/);
    await api.until(() => api.inTopic(STAFF, thread).includes('mari m bat mwen chak jou'));
    // After the card, words go to the person again.
    await say(textUpdate(user, 'mwen pè', 'ht'), user, 0);
    await api.until(() => api.inTopic(STAFF, thread).includes('mwen pè'));

    // /close: the user is told and is back with the bot; the topic is closed.
    await say(supergroupUpdate(STAFF, STAFF_MEMBER, '/close', thread), user, 2);
    expect(texts(user).join('\n')).toContain('Moun nan fèmen konvèsasyon sa a');
    await api.until(() => api.topics.get(thread)!.closed);
    const relayed = api.inTopic(STAFF, thread).length;
    await say(textUpdate(user, 'patwon an pa peye m', 'ht'), user);
    expect(texts(user).at(-1)).toContain('Salè ki pa peye');
    expect(api.inTopic(STAFF, thread)).toHaveLength(relayed);

    // Staff writing in the closed topic reach nobody.
    const count = api.sent(user).length;
    api.push(supergroupUpdate(STAFF, STAFF_MEMBER, 'still there?', thread));
    await h.app.handoff!.idle();
    expect(api.sent(user)).toHaveLength(count);
  });

  it('out of hours: the request still opens, and the user is told when it will be read', async () => {
    now = SATURDAY_10;
    const user = 602;
    await say(textUpdate(user, 'hola', 'es'), user, 2);
    await say(textUpdate(user, 'persona', 'es'), user, 2);
    const told = texts(user).join('\n');
    expect(told).toContain('Una persona de <b>Red Puente</b> va a leer');
    expect(told).toContain('Ahora no hay nadie');
    expect(told).toContain('el lunes desde las 08:00');
    expect(told).toContain('(hora de Guatemala)');
    await press(user, /Solo desde ahora/);
    await api.until(() => api.topics.size === 1);
    const [thread, { name }] = topic();
    expect(name).toMatch(/^es · /);
    await api.until(() => api.inTopic(STAFF, thread).length >= 2);
    const note = api.inTopic(STAFF, thread).join('\n');
    expect(note).toContain('fuera de horario');
    expect(note).toContain('solo lo que escriba desde ahora');
    expect(note).not.toContain('hola');
  });

  it('the main menu and help offer a person; "menu" goes back to the bot and staff are told', async () => {
    const user = 603;
    await say(textUpdate(user, 'hola', 'es'), user, 2);
    expect(buttons(user).map((b) => b.text)).toContain('🙋 Hablar con una persona');
    await say(textUpdate(user, 'ayuda', 'es'), user, 2);
    expect(texts(user).at(-2)).toContain('<b>persona</b> para hablar con una persona de Red Puente');
    await press(user, /Hablar con una persona/, 2);
    await press(user, /Solo desde ahora/);
    await api.until(() => api.topics.size === 1);
    const [thread] = topic();
    await say(textUpdate(user, 'menu', 'es'), user, 2);
    expect(texts(user).join('\n')).toContain('Estás de nuevo con el bot');
    await api.until(() => api.topics.get(thread)!.closed);
    expect(api.inTopic(STAFF, thread).at(-1)).toContain('volvió al bot');
  });

  it('stop closes the topic and tells staff the user left, without details; nothing of theirs stays', async () => {
    const user = 604;
    const thread = await connectCreoleUser(user);
    await say(textUpdate(user, 'stop', 'ht'), user);
    await api.until(() => api.topics.get(thread)!.closed);
    expect(api.inTopic(STAFF, thread).at(-1)).toBe('La persona se fue. Conversación cerrada.');
    const rows = h.app.db.prepare('SELECT user_key, address, closed_at FROM handoffs').all() as Array<
      Record<string, unknown>
    >;
    expect(rows).toEqual([{ user_key: null, address: null, closed_at: expect.any(Number) }]);
  });

  it('after HANDOFF_IDLE_H hours without messages, both sides are told and the topic closes', async () => {
    const user = 605;
    const thread = await connectCreoleUser(user);
    now += 23 * 3_600_000;
    await h.app.handoff!.closeIdle();
    expect(api.topics.get(thread)!.closed).toBe(false);
    now += 2 * 3_600_000;
    const before = api.sent(user).length;
    await h.app.handoff!.closeIdle();
    await api.until(() => api.topics.get(thread)!.closed && api.sent(user).length > before);
    expect(texts(user).join('\n')).toContain('24 è san mesaj');
    expect(api.inTopic(STAFF, thread).at(-1)).toContain('24 horas sin mensajes');
  });

  it('when the topic cannot be opened at once, the next message opens it; no message text reaches the database', async () => {
    api.failNext('createForumTopic', {
      error_code: 400,
      description: 'Bad Request: not enough rights to create a topic',
    });
    const user = 607;
    await say(textUpdate(user, 'hola', 'es'), user, 2);
    await say(textUpdate(user, 'persona', 'es'), user, 2);
    await press(user, /Solo desde ahora/);
    await api.until(() => api.calls.some((c) => c.method === 'createForumTopic'));
    expect(api.topics.size).toBe(0);
    await say(textUpdate(user, 'trabajo en una finca en Chiapas y no me pagan', 'es'), user);
    await api.until(() => api.topics.size === 1);
    const [thread] = topic();
    await api.until(() =>
      api.inTopic(STAFF, thread).includes('trabajo en una finca en Chiapas y no me pagan'),
    );
    await say(supergroupUpdate(STAFF, STAFF_MEMBER, 'Gracias, ¿desde cuándo no te pagan?', thread), user);
    await h.app.handoff!.idle();
    h.app.db.pragma('wal_checkpoint(TRUNCATE)');
    const files = [h.dbPath, `${h.dbPath}-wal`].filter((f) => existsSync(f));
    for (const f of files) {
      const bytes = readFileSync(f).toString('latin1');
      expect(bytes, f).not.toContain('Chiapas');
      expect(bytes, f).not.toContain('desde cu');
    }
  });

  it('a photo from staff is not passed on and staff are told; a topic closed by hand ends the conversation', async () => {
    const user = 608;
    const thread = await connectCreoleUser(user);
    const notes = api.inTopic(STAFF, thread).length;
    const toUser = api.sent(user).length;
    api.push(
      supergroupUpdate(
        STAFF,
        STAFF_MEMBER,
        { photo: [{ file_id: 'p', file_unique_id: 'q', width: 1, height: 1 }] },
        thread,
      ),
    );
    await api.until(() => api.inTopic(STAFF, thread).length > notes);
    expect(api.inTopic(STAFF, thread).at(-1)).toContain('Solo se pasa texto');
    expect(api.sent(user)).toHaveLength(toUser);
    api.push(supergroupUpdate(STAFF, STAFF_MEMBER, { forum_topic_closed: {} }, thread));
    await api.until(() => texts(user).some((t) => t.includes('Moun nan fèmen konvèsasyon sa a')));
    await h.app.handoff!.idle();
    expect(h.app.db.prepare('SELECT count(*) FROM handoffs WHERE closed_at IS NULL').pluck().get()).toBe(0);
  });

  it('the consent question is asked again until it is answered', async () => {
    const user = 609;
    await say(textUpdate(user, 'hola', 'es'), user, 2);
    await say(textUpdate(user, 'persona', 'es'), user, 2);
    await say(textUpdate(user, 'me robaron los papeles', 'es'), user);
    expect(texts(user).at(-1)).toContain('hasta 10');
    expect(api.topics.size).toBe(0);
  });

  it('the report counts handoffs per day, and shows no content', async () => {
    const user = 606;
    const thread = await connectCreoleUser(user);
    await say(supergroupUpdate(STAFF, STAFF_MEMBER, 'Bonjou!', thread), user);
    await say(supergroupUpdate(STAFF, STAFF_MEMBER, '/close', thread), user, 2);
    await api.until(() => api.topics.get(thread)!.closed);
    const report = buildReport(h.app.db, 0);
    expect(report.handoffs).toEqual([{ day: '2026-12-02', opened: 1, answeredWithinHour: 1, closed: 1 }]);
    expect(JSON.stringify(report.handoffs)).not.toMatch(/Bonjou|bonjou/);
    expect(reportToCsv(report)).toContain('handoffs_answered_within_1h,,,,,,,1,,,,,2026-12-02');
    expect((await readStudioReport(sqliteSource(h.dbPath), 0)).sections.handoffs).toEqual(report.handoffs);
  });
});
