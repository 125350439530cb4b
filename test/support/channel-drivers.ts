import type { RunningChannel } from '../../src/channels/channel.js';
import { convertToPlain } from '../../src/channels/render.js';
import { startTelegram } from '../../src/channels/telegram/run.js';
import { WhatsAppAdapter } from '../../src/channels/whatsapp/adapter.js';
import { createLogger } from '../../src/runtime/log.js';
import { BotApiStandIn, stickerUpdate, textUpdate, voiceUpdate } from './bot-api-standin.js';
import { CloudRig } from './cloud-rig.js';
import { FakeClock, FakeWaClient, waText } from './fake-whatsapp.js';
import { wa } from './graph-api-standin.js';
import { Harness } from './harness.js';

/** What a user sees of one bot message: its text and the choices offered. */
export type Seen = { text: string; choices: string[] };

/** One way of talking to the bot; the channel contract suite runs against every one. */
export interface ChannelDriver {
  say(user: number, text: string): Promise<Seen[]>;
  media(user: number): Promise<Seen[]>;
  voice(user: number): Promise<Seen[]>;
  deepLink(user: number, payload: string): Promise<Seen[]>;
  close(): Promise<void>;
}

export async function consoleDriver(): Promise<ChannelDriver> {
  const h = new Harness();
  const seen = (lines: Awaited<ReturnType<Harness['say']>>) =>
    lines.map((l) => ({ text: l.text, choices: l.options.map((o) => o.label) }));
  return {
    say: async (user, text) => seen(await h.send(String(user), { text })),
    media: async (user) => seen(await h.send(String(user), { media: 'photo' })),
    voice: async (user) => seen(await h.send(String(user), { voice: { kind: 'voice', seconds: 4 } })),
    deepLink: async (user, payload) => seen(await h.send(String(user), { start: payload })),
    close: async () => h.close(),
  };
}

export async function telegramDriver(): Promise<ChannelDriver> {
  const api = new BotApiStandIn();
  const root = await api.start();
  const h = new Harness({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root });
  const channel: RunningChannel = await startTelegram(h.app);
  const exchange = async (user: number, update: unknown): Promise<Seen[]> => {
    const before = api.calls.length;
    api.push(update);
    // The turn is done once getUpdates is called again after the replies.
    await api.until(() =>
      api.calls
        .slice(before)
        .some(
          (c, i, all) => c.method === 'getUpdates' && all.slice(0, i).some((x) => x.method === 'sendMessage'),
        ),
    );
    return api.calls
      .slice(before)
      .filter((c) => c.method === 'sendMessage' && c.params.chat_id === user)
      .map((c) => ({
        text: String(c.params.text)
          .replace(/<\/?[bi]>/g, '')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&'),
        choices: (
          (c.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string }>> } | undefined)
            ?.inline_keyboard ?? []
        )
          .flat()
          .map((b) => b.text),
      }));
  };
  return {
    say: (user, text) => exchange(user, textUpdate(user, text, 'es')),
    media: (user) => exchange(user, stickerUpdate(user)),
    voice: (user) => exchange(user, voiceUpdate(user)),
    deepLink: (user, payload) => exchange(user, textUpdate(user, `/start ${payload}`, 'es')),
    close: async () => {
      await channel.stop();
      await api.stop();
      h.close();
    },
  };
}

export async function whatsappDriver(): Promise<ChannelDriver> {
  const h = new Harness();
  const clock = new FakeClock();
  const shared = { sent: [] as Array<{ chatId: string; text: string }> };
  const adapter = new WhatsAppAdapter(h.app.bot, createLogger('silent'), {
    factory: () => new FakeWaClient(shared),
    clock,
  });
  adapter.start();
  await clock.advance(10);
  const client = () => FakeWaClient.all.at(-1)!;
  const exchange = async (user: number, message: object): Promise<Seen[]> => {
    const before = shared.sent.length;
    client().emit('message', message);
    await clock.advance(60_000);
    return shared.sent
      .slice(before)
      .filter((s) => s.chatId === `${user}@c.us`)
      .map((s) => {
        const lines = convertToPlain(s.text.replace(/\u2060/g, '')).split('\n');
        const choices = lines.flatMap((l) => /^\d+\. (.*)$/.exec(l)?.slice(1) ?? []);
        return {
          text: lines
            .filter((l) => !/^\d+\. /.test(l))
            .join('\n')
            .trim(),
          choices,
        };
      });
  };
  return {
    say: (user, text) => exchange(user, waText(`${user}@c.us`, text, clock.now())),
    media: (user) => exchange(user, { ...waText(`${user}@c.us`, '', clock.now()), type: 'image' }),
    voice: (user) =>
      exchange(user, { ...waText(`${user}@c.us`, '', clock.now()), type: 'ptt', duration: '4' }),
    deepLink: (user, payload) => exchange(user, waText(`${user}@c.us`, payload, clock.now())),
    close: async () => {
      await adapter.stop();
      h.close();
    },
  };
}

/** What a person sees of a Cloud API message: text with its numbered options, buttons, or a list. */
export function seenOfCloud(m: Record<string, unknown>): Seen {
  if (m.type === 'interactive') {
    const i = m.interactive as { type: string; body: { text: string }; action: Record<string, unknown> };
    const replies =
      i.type === 'button'
        ? (i.action.buttons as Array<{ reply: { title: string } }>).map((b) => b.reply)
        : (i.action.sections as Array<{ rows: Array<{ title: string }> }>).flatMap((s) => s.rows);
    return { text: convertToPlain(i.body.text.replace(/\u2060/g, '')), choices: replies.map((r) => r.title) };
  }
  const body = m.type === 'text' ? (m.text as { body: string }).body : '';
  const lines = convertToPlain(body.replace(/\u2060/g, '')).split('\n');
  return {
    text: lines
      .filter((l) => !/^\d+\. /.test(l))
      .join('\n')
      .trim(),
    choices: lines.flatMap((l) => /^\d+\. (.*)$/.exec(l)?.slice(1) ?? []),
  };
}

export async function whatsappCloudDriver(): Promise<ChannelDriver> {
  const rig = await CloudRig.start();
  const exchange = async (message: { from: string }) => (await rig.exchange(message)).map(seenOfCloud);
  return {
    say: (user, text) => exchange(wa.text(String(user), text)),
    media: (user) => exchange(wa.media(String(user), 'image')),
    voice: (user) => exchange(wa.voice(String(user))),
    // A wa.me link pre-fills a sentence around the payload.
    deepLink: (user, payload) => exchange(wa.text(String(user), `Hello! I want information (${payload})`)),
    close: () => rig.close(),
  };
}
