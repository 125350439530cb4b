import { afterEach, describe, expect, it } from 'vitest';
import type { RunningChannel } from '../src/channels/channel.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { BotApiStandIn, supergroupUpdate } from './support/bot-api-standin.js';
import { CloudRig } from './support/cloud-rig.js';
import { FakeClock } from './support/fake-whatsapp.js';
import { wa } from './support/graph-api-standin.js';

const STAFF = -1005550001111;
const HOUR = 3_600_000;

describe('talking to a person: a WhatsApp Cloud API user and the 24-hour window', () => {
  let api: BotApiStandIn | undefined;
  let rig: CloudRig | undefined;
  let telegram: RunningChannel | undefined;

  afterEach(async () => {
    await telegram?.stop();
    await rig?.close();
    await api?.stop();
  });

  it('relays within the window; outside it the reply is held, the template asks the user back, and staff are told', async () => {
    api = new BotApiStandIn();
    const root = await api.start();
    const clock = new FakeClock();
    rig = await CloudRig.start({
      clock,
      env: {
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: root,
        STAFF_CHAT_ID: String(STAFF),
        ORG_NAME: 'Red Puente',
        HANDOFF_IDLE_H: '72',
      },
    });
    telegram = await startTelegram(rig.h.app);
    const host = rig.h.app.handoff!;
    const from = '50937000555';
    const texts = () =>
      rig!.api
        .delivered(from)
        .map((m) => JSON.stringify(m))
        .join('\n');
    const say = (body: string) => rig!.exchange(wa.text(from, body, clock.now()));
    const settle = async () => {
      await host.idle();
      await rig!.cloud.idle();
    };

    await say('bonjou');
    await say('moun');
    await say('2');
    await api.until(() => api!.topics.size === 1);
    const [thread] = [...api.topics.keys()];
    await say('mwen bezwen ed ak papye m');
    await api.until(() => api!.inTopic(STAFF, thread!).includes('mwen bezwen ed ak papye m'));

    // Within 24 hours: the staff reply goes as a free-form message.
    api.push(supergroupUpdate(STAFF, 9, 'Bonjou, nou la. Ki peyi?', thread));
    const end = Date.now() + 10_000;
    while (!texts().includes('Ki peyi?') && Date.now() < end) {
      await settle();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(texts()).toContain('Bonjou, nou la. Ki peyi?');

    // 25 hours later: held, a template asks the user to write back, staff are told.
    await clock.advance(25 * HOUR);
    const notes = api.inTopic(STAFF, thread!).length;
    api.push(supergroupUpdate(STAFF, 9, 'Eske w la toujou?', thread));
    await api.until(() => api!.inTopic(STAFF, thread!).length > notes);
    await settle();
    expect(api.inTopic(STAFF, thread!).at(-1)).toContain('24 horas');
    expect(rig.api.delivered(from).at(-1)).toMatchObject({
      type: 'template',
      template: { name: 'puente_reply_waiting' },
    });
    expect(texts()).not.toContain('Eske w la toujou?');
    // A second reply while they are away joins the first: no second note, no second template.
    const templates = () => rig!.api.delivered(from).filter((m) => m.type === 'template').length;
    expect(templates()).toBe(1);
    const before = api.inTopic(STAFF, thread!).length;
    api.push(supergroupUpdate(STAFF, 9, 'Nou ka ede w ak papye yo.', thread));
    await api.until(() => api!.inTopic(STAFF, thread!).length > before);
    await settle();
    expect(templates()).toBe(1);
    expect(texts()).not.toContain('ede w ak papye');

    // The user writes back: the window is open again and the held reply is delivered.
    await say('wi mwen la');
    const until = Date.now() + 10_000;
    while (!texts().includes('Eske w la toujou?') && Date.now() < until) {
      await settle();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(texts()).toContain('Eske w la toujou?');
    expect(texts()).toContain('Pandan ou pa t la');
    await api.until(() => texts().includes('ede w ak papye'));
    expect(texts().split('Pandan ou pa t la').length - 1).toBe(1);
    expect(texts().indexOf('Eske w la toujou?')).toBeLessThan(texts().indexOf('ede w ak papye'));
    // The held reply waited in the outbox, not in memory; staff are told once it went.
    await api.until(() => api!.inTopic(STAFF, thread!).at(-1)?.includes('respuestas en espera') ?? false);
    expect(await rig.h.app.store.outbox.heldCounts()).toEqual([]);
  });
});
