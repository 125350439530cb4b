import { afterEach, describe, expect, it } from 'vitest';
import type { Inbox, InboxOpen, StaffMessage } from '../src/handoff/inbox.js';
import { HISTORY_KEPT, RecentTexts } from '../src/handoff/recent-texts.js';
import { Harness } from './support/harness.js';

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

describe('the handoff host with any Inbox', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('opens, relays in, tells staff a reply could not be delivered, and closes', async () => {
    h = new Harness(INBOX);
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
