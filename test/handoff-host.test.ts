import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Inbox, InboxOpen, StaffMessage, VoiceAudio } from '../src/handoff/inbox.js';
import { HISTORY_KEPT, RecentTexts } from '../src/handoff/recent-texts.js';
import type { App } from '../src/runtime/app.js';
import { Harness } from './support/harness.js';
import { PgHarness } from './support/pg-harness.js';

const INBOX = { STAFF_CHAT_ID: '-1001234567890', TELEGRAM_BOT_TOKEN: '1:x', ORG_NAME: 'Red Puente' };

/** An inbox that records what the host asks of it: any implementation of the contract plugs in the same way. */
class RecordingInbox implements Inbox {
  readonly log: string[] = [];
  handler?: (m: StaffMessage) => Promise<void>;
  private next = 1;
  async open(c: InboxOpen): Promise<string> {
    const ref = `c${this.next++}`;
    this.log.push(`open ${ref} ${c.name}`);
    return ref;
  }
  async relayIn(ref: string, text: string): Promise<void> {
    this.log.push(`in ${ref} ${text}`);
  }
  async relayVoice(ref: string, audio: VoiceAudio): Promise<void> {
    const { bytes } = await audio.fetch();
    this.log.push(`voice ${ref} ${bytes.length} bytes`);
  }
  async notify(ref: string, text: string): Promise<void> {
    this.log.push(`note ${ref} ${text}`);
  }
  relayOut(handler: (m: StaffMessage) => Promise<void>): void {
    this.handler = handler;
  }
  async close(ref: string, text: string): Promise<void> {
    this.log.push(`close ${ref} ${text}`);
  }
}

/** The app with a staff inbox, on one engine. */
type Rig = {
  app: App;
  say: (user: string, text: string, lang?: 'es') => Promise<unknown>;
  done: () => Promise<void>;
};

let pg: PgHarness | undefined;
const ENGINES = [
  {
    engine: 'sqlite',
    open: async (): Promise<Rig> => {
      const h = new Harness(INBOX);
      return { app: h.app, say: (u, t, l) => h.say(u, t, l), done: async () => h.close() };
    },
  },
  {
    engine: 'postgres',
    open: async (): Promise<Rig> => {
      pg ??= await PgHarness.open();
      await pg.reset(INBOX);
      const h = pg;
      return {
        app: h.app,
        say: (u, t, l) => h.send(u, { text: t }, l ? { lang: l, sure: true } : undefined),
        done: async () => {},
      };
    },
  },
];

describe.each(ENGINES)('the handoff host with any Inbox, on $engine', ({ open }) => {
  let h: Rig | undefined;
  afterEach(async () => {
    await h?.done();
    h = undefined;
  });
  afterAll(async () => {
    await pg?.close();
    pg = undefined;
  });

  it('opens, relays in, tells staff a reply could not be delivered, and closes', async () => {
    h = await open();
    const inbox = new RecordingInbox();
    const host = h.app.handoff!;
    host.attach(inbox);
    const sent: string[] = [];
    host.relay.register('console', async (_user, messages) => {
      sent.push(...messages.map((m) => m.text));
      return 'sent';
    });
    await h.say('u', 'hola', 'es');
    await h.say('u', 'persona');
    await h.say('u', '1');
    await h.say('u', 'necesito ayuda con mi visa');
    await host.idle();
    expect(inbox.log[0]).toMatch(/^open c1 es · [2-9A-Z]{4}$/);
    expect(inbox.log).toContain('in c1 necesito ayuda con mi visa');
    // The shared history: the bot's menu and the user's "hola", in memory until now.
    expect(inbox.log.some((l) => l.startsWith('in c1 Usuario: hola'))).toBe(true);

    await inbox.handler!({ ref: 'c1', text: 'Hola, ¿en qué país estás?' });
    expect(sent.at(-1)).toBe('👤 *Red Puente*:\nHola, ¿en qué país estás?');
    await inbox.handler!({ ref: 'c1', text: '/faq no.such-entry' });
    await host.idle();
    expect(inbox.log.at(-1)).toContain('No hay ninguna entrada "no.such-entry"');

    // A channel that cannot take the message: staff are told, nothing is thrown at the inbox.
    host.relay.register('console', async () => {
      throw new Error('channel down');
    });
    await inbox.handler!({ ref: 'c1', text: '¿Sigues ahí?' });
    expect(inbox.log.at(-1)).toContain('No se entregó');

    // Unknown topics are not ours.
    await inbox.handler!({ ref: 'c99', text: 'hola?' });
    expect(inbox.log.at(-1)).toContain('No se entregó');

    await h.say('u', 'menu');
    await host.idle();
    expect(inbox.log.at(-1)).toBe('close c1 La persona volvió al bot. Conversación cerrada.');
    expect(await h.app.store.handoffByThread('c1')).toMatchObject({ user_key: null, address: null });
  });

  it('a /close from staff runs a turn of the user, who is told and is back with the bot', async () => {
    h = await open();
    const inbox = new RecordingInbox();
    const host = h.app.handoff!;
    host.attach(inbox);
    const sent: string[] = [];
    host.relay.register('console', async (_user, messages) => {
      sent.push(...messages.map((m) => m.text));
      return 'sent';
    });
    await h.say('v', 'hola', 'es');
    await h.say('v', 'persona');
    await h.say('v', '2');
    await host.idle();
    const key = h.app.bot.userKeyOf('console', 'v');
    expect((await h.app.store.session(key))?.session.handoff).toBeDefined();
    await inbox.handler!({ ref: 'c1', text: '/close' });
    await host.idle();
    expect(sent.join('\n')).toMatch(/cerr/i);
    expect((await h.app.store.session(key))?.session.handoff).toBeUndefined();
    expect(await h.app.store.handoffByThread('c1')).toMatchObject({ user_key: null, address: null });
    expect(await h.app.store.turn(key, (l) => ({ result: l.handoff(), writes: [] }))).toBeNull();
    // Staff writing in a closed topic are told so; nothing reaches the user.
    const before = sent.length;
    await inbox.handler!({ ref: 'c1', text: '¿hola?' });
    await host.idle();
    expect(sent.length).toBe(before);
    expect(inbox.log.at(-1)).toMatch(/^note c1 /);
  });
});

describe('the recent messages shared with consent', () => {
  it('keeps at most 10 per chat, in memory, for an hour, and forgets on request', async () => {
    let now = 0;
    const recent = new RecentTexts(() => now);
    for (let i = 1; i <= 12; i++) recent.add('k', [{ from: 'user', text: `*m${i}*` }]);
    expect(recent.list('k').map((l) => l.text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 3}`));
    now += 61 * 60_000;
    expect(recent.list('k')).toEqual([]);
    recent.add('k', [{ from: 'bot', text: 'hola' }]);
    recent.drop('k');
    expect(recent.list('k')).toEqual([]);
    expect(HISTORY_KEPT).toBe(10);
  });
});
