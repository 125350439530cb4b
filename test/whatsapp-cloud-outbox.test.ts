import { afterEach, describe, expect, it } from 'vitest';
import { CloudRig } from './support/cloud-rig.js';
import { FakeClock } from './support/fake-whatsapp.js';
import { wa } from './support/graph-api-standin.js';

const HOUR = 3_600_000;

type OutboxRow = { state: number; reason: string | null; ref: string | null; user_key: string; body: Buffer };

let rig: CloudRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const rows = (r: CloudRig): OutboxRow[] =>
  r.h.app.db
    .prepare('SELECT state, reason, ref, user_key, body FROM outbox ORDER BY id')
    .all() as OutboxRow[];
const texts = (r: CloudRig, from: string) =>
  r.api.delivered(from).map((m) => JSON.stringify(m.text ?? m.interactive ?? m.template));

describe('WhatsApp Cloud API replies through the outbox', () => {
  it('Graph API 500s, then recovery: every reply goes, in order, nothing dropped', async () => {
    const clock = new FakeClock();
    rig = await CloudRig.start({ clock });
    const from = '50937000200';
    rig.api.failNext(
      ...Array.from({ length: 4 }, () => ({ status: 500, code: 1, message: 'unknown error' })),
    );
    expect((await rig.post({ messages: [wa.text(from, 'bonjou', clock.now())] })).status).toBe(200);
    await rig.api.until(() => rig!.api.sends(from).length === 1);
    // Refused: the reply waits in the outbox, its next try later by the app's clock.
    expect(rig.api.delivered(from)).toEqual([]);
    expect(rig.h.app.store.outbox.backlog()).toBe(2);
    // Tried again with growing pauses by the app's clock, until Meta answers.
    for (let i = 0; i < 20 && rig.api.delivered(from).length < 2; i++) {
      await clock.advance(30_000);
      await rig.cloud.idle();
    }
    expect(rig.api.sends(from)).toHaveLength(6);
    await rig.cloud.idle();
    expect(texts(rig, from)[0]).toContain('Bonjou');
    expect(texts(rig, from)[1]).toContain('Sou ki sijè');
    expect(rig.h.app.store.outbox.backlog()).toBe(0);
    const metrics = await rig.h.app.metrics.registry.metrics();
    expect(metrics).toContain('puente_send_failures_total{channel="whatsapp-cloud",reason="transient"} 4');
  });

  it('holds a message Meta refuses for re-engagement in the store, across a restart, and sends it after the person writes', async () => {
    rig = await CloudRig.start();
    const from = '50937000210';
    await rig.exchange(wa.text(from, 'bonjou'));
    rig.api.failNext({ status: 400, code: 131047, message: 'Re-engagement message' });
    const note = [{ text: 'Yon nòt ki tap tann.', options: [], flow: null, step: null }];
    expect(await rig.cloud.sendFreeForm(from, note, 'ht')).toEqual([
      { status: 'held', reason: 'reengagement' },
    ]);
    expect(await rig.h.app.store.outbox.heldCounts()).toEqual([{ reason: 'reengagement', count: 1 }]);
    expect(await rig.h.app.metrics.registry.metrics()).toContain(
      'puente_outbox_held{reason="reengagement"} 1',
    );
    // Held, it is not a backlog that turns the health red, and it keeps no text in clear.
    expect(rig.h.app.store.outbox.backlog()).toBe(0);
    expect(JSON.stringify(rows(rig))).not.toContain('tap tann');
    expect(JSON.stringify(rows(rig))).not.toContain(from);

    await rig.restart();
    expect(await rig.h.app.store.outbox.heldCounts()).toEqual([{ reason: 'reengagement', count: 1 }]);
    await rig.cloud.idle();
    expect(texts(rig, from).join('\n')).not.toContain('tap tann');

    // The person writes: the held message goes first, then the reply to what they wrote.
    const after = await rig.exchange(wa.text(from, 'meni'));
    expect(JSON.stringify(after[0])).toContain('Yon nòt ki tap tann.');
    expect(after.length).toBeGreaterThan(1);
    expect(await rig.h.app.store.outbox.heldCounts()).toEqual([]);
  });

  it('marks an undeliverable message (131026) failed with its reason, and the chat goes on', async () => {
    rig = await CloudRig.start();
    const from = '50937000220';
    rig.api.failNext({ status: 400, code: 131026, message: 'Message undeliverable' });
    await rig.exchange(wa.text(from, 'bonjou'));
    // The welcome failed; the menu after it still went.
    expect(rig.api.sends(from)).toHaveLength(2);
    expect(rig.api.delivered(from)).toHaveLength(1);
    const failed = rows(rig).filter((r) => r.state === 2);
    expect(failed).toEqual([expect.objectContaining({ reason: 'undeliverable', user_key: '' })]);
    expect(failed[0]!.body.length).toBe(0);
  });

  it('a failed status callback marks the sent row failed with the code; delivered and read let it go', async () => {
    rig = await CloudRig.start();
    const from = '50937000230';
    await rig.exchange(wa.text(from, 'bonjou'));
    const [id1, id2] = rig.api.sends(from).map((c) => c.messageId!);
    // Sent rows wait for their report, by the hash of the message id alone.
    const kept = rows(rig);
    expect(kept.map((r) => r.state)).toEqual([1, 1]);
    expect(JSON.stringify(kept)).not.toContain(id1!);
    expect(kept.every((r) => r.user_key === '' && r.body.length === 0)).toBe(true);

    const res = await rig.post({
      statuses: [
        wa.status(id1!, 'sent', from),
        wa.status(id1!, 'delivered', from),
        wa.status(id1!, 'read', from),
        wa.status(id2!, 'failed', from, [{ code: 131026, title: 'Message undeliverable' }]),
      ],
    });
    expect(res.status).toBe(200);
    expect(rows(rig).map((r) => [r.state, r.reason, r.ref])).toEqual([[2, 'status:131026', null]]);
    const metrics = await rig.h.app.metrics.registry.metrics();
    expect(metrics).toContain('puente_delivery_failures_total{channel="whatsapp-cloud",code="131026"} 1');
    expect(metrics).not.toContain(from);
  });

  it('checks the 24-hour window when the message is sent, not when it was written', async () => {
    const clock = new FakeClock();
    rig = await CloudRig.start({ clock });
    const from = '50937000240';
    await rig.exchange(wa.text(from, 'bonjou', clock.now()));
    // Meta throttles the number for longer than the rest of the window.
    await clock.advance(23 * HOUR + 55 * 60_000);
    rig.api.failNext({ status: 429, code: 130429, retryAfter: 300 });
    const note = [{ text: 'Ou la toujou?', options: [], flow: null, step: null }];
    const outcome = rig.cloud.sendFreeForm(from, note, 'ht');
    await rig.api.until(() => rig!.api.sends(from).length === 3);
    await clock.advance(300_000);
    expect(await outcome).toEqual([{ status: 'held', reason: 'window' }]);
    expect(rig.api.sends(from)).toHaveLength(3);
    expect(await rig.h.app.store.outbox.heldCounts()).toEqual([{ reason: 'window', count: 1 }]);
  });
});
