import { afterEach, describe, expect, it } from 'vitest';
import { startBroadcasts } from '../src/broadcast/run.js';
import type { BroadcastWorker } from '../src/broadcast/worker.js';
import { WHATSAPP_CLOUD_CHANNEL } from '../src/channels/whatsapp-cloud/channel.js';
import { TEXTS } from './support/broadcast-seed.js';
import { CloudRig } from './support/cloud-rig.js';
import { wa } from './support/graph-api-standin.js';

describe('broadcasts through the WhatsApp Cloud API against the stand-in Graph API', () => {
  let rig: CloudRig | undefined;
  let worker: BroadcastWorker | null = null;
  afterEach(async () => {
    await worker?.stop();
    await rig?.close();
  });

  it('sends the text inside the 24-hour window and the "update" template per language outside it', async () => {
    rig = await CloudRig.start();
    const recent = '50255550001';
    for (const text of ['hola', 'suscribirme', '1', 'sí']) await rig.exchange(wa.text(recent, text));
    const { bot, store } = rig.h.app;
    expect(await store.subscriptions.topicsOf(bot.userKeyOf(WHATSAPP_CLOUD_CHANNEL, recent))).toEqual([
      'covid',
    ]);
    // Subscribers who last wrote long ago: only a template reaches them.
    const quiet = { es: '50255550002', en: '50255550003', ht: '50955550004' } as const;
    for (const [lang, phone] of Object.entries(quiet) as Array<[keyof typeof quiet, string]>) {
      await store.subscriptions.add(bot.userKeyOf(WHATSAPP_CLOUD_CHANNEL, phone), {
        topic: 'covid',
        lang,
        channel: WHATSAPP_CLOUD_CHANNEL,
        address: bot.addresses.seal(WHATSAPP_CLOUD_CHANNEL, phone),
        how: 'offer',
      });
    }
    const id = await store.broadcasts.create('covid', TEXTS, []);
    await store.broadcasts.queue(id);
    worker = startBroadcasts(rig.h.app, [rig.channel]);
    await rig.api.until(async () => (await store.broadcasts.get(id))?.status === 'done', 20_000);
    expect(await store.broadcasts.figures(id)).toMatchObject({ sent: 4, failed: 0, queued: 0 });

    const last = rig.api.delivered(recent).at(-1) as { type: string; text: { body: string } };
    expect(last.type).toBe('text');
    expect(last.text.body).toContain(TEXTS.es);
    const templates = Object.entries(quiet).map(([lang, phone]) => {
      const sent = rig!.api.delivered(phone);
      expect(sent).toHaveLength(1);
      const t = sent[0] as {
        type: string;
        template: {
          name: string;
          language: { code: string };
          components: Array<{ parameters: Array<{ text: string }> }>;
        };
      };
      expect(t.type).toBe('template');
      return [lang, t.template.name, t.template.language.code, t.template.components[0]!.parameters[0]!.text];
    });
    expect(templates).toEqual([
      ['es', 'puente_update', 'es', 'COVID-19'],
      ['en', 'puente_update', 'en', 'COVID-19'],
      ['ht', 'puente_update', 'fr', 'COVID-19'],
    ]);
    // The text the template replaced is not held for later: it would arrive twice.
    expect(await store.outbox.heldCounts()).toEqual([]);
  }, 60_000);
});
