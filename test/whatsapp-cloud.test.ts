import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { TemplateError } from '../src/channels/whatsapp-cloud/templates.js';
import { WINDOW_MS } from '../src/channels/whatsapp-cloud/window.js';
import { CloudRig } from './support/cloud-rig.js';
import { FakeClock } from './support/fake-whatsapp.js';
import { sign, wa } from './support/graph-api-standin.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

type Sent = Record<string, unknown>;
type Interactive = { type: string; body: { text: string }; action: Record<string, unknown> };

const HOUR = 3_600_000;

/** What a person sees of one message: its text and the choices it offers, however shown. */
function shown(m: Sent): { kind: string; text: string; choices: string[]; ids: string[] } {
  if (m.type === 'text') {
    const body = (m.text as { body: string }).body;
    const choices = body.split('\n').flatMap((l) => /^\d+\. (.*)$/.exec(l)?.slice(1) ?? []);
    return { kind: 'text', text: body, choices, ids: [] };
  }
  if (m.type === 'interactive') {
    const i = m.interactive as Interactive;
    const replies =
      i.type === 'button'
        ? (i.action.buttons as Array<{ reply: { id: string; title: string } }>).map((b) => b.reply)
        : (i.action.sections as Array<{ rows: Array<{ id: string; title: string }> }>).flatMap((s) => s.rows);
    return {
      kind: i.type,
      text: i.body.text,
      choices: replies.map((r) => r.title),
      ids: replies.map((r) => r.id),
    };
  }
  return { kind: String(m.type), text: '', choices: [], ids: [] };
}

/**
 * A POST over node:http. With `announceOnly`, the body is announced by its length but only its
 * start is written: a server that refuses by the length answers before reading more.
 */
function rawPost(
  url: string,
  body: string,
  headers: Record<string, string>,
  announceOnly = false,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': data.length, ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        if (announceOnly) req.destroy();
      },
    );
    req.on('error', reject);
    if (announceOnly) req.write(data.subarray(0, 1024));
    else req.end(data);
  });
}

const lastShown = (sent: Sent[]) => shown(sent.at(-1) ?? {});

let rig: CloudRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('WhatsApp Cloud API webhook over HTTP', () => {
  it('a message the store cannot save gets a short apology, once; Meta is asked to deliver it again', async () => {
    rig = await CloudRig.start();
    const from = '5215500000077';
    rig.h.app.store.closeSync();
    const first = await rig.post({ messages: [wa.text(from, 'hola')] });
    expect(first.status).not.toBe(200);
    const again = await rig.post({ messages: [wa.text(from, 'hola otra vez')] });
    expect(again.status).not.toBe(200);
    await rig.cloud.idle();
    const sent = rig.api.delivered(from);
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0])).toContain(JSON.stringify(rig.h.app.bot.apology(null)).slice(1, -1));
  });

  it('answers the verify handshake with the challenge, and 403 to a wrong token or mode', async () => {
    rig = await CloudRig.start();
    const q = (mode: string, token: string, challenge = '1158201444') =>
      fetch(
        `${rig!.url}?hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=${challenge}`,
      );
    const ok = await q('subscribe', rig.api.verifyToken);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    expect((await q('subscribe', 'wrong-token')).status).toBe(403);
    expect((await q('subscribe', `${rig.api.verifyToken}x`)).status).toBe(403);
    expect((await q('unsubscribe', rig.api.verifyToken)).status).toBe(403);
    expect((await fetch(`${rig.url}?hub.mode=subscribe&hub.challenge=1`)).status).toBe(403);
    expect(
      (await fetch(`${rig.url}?hub.mode=subscribe&hub.verify_token=${rig.api.verifyToken}`)).status,
    ).toBe(403);
  });

  it('refuses unsigned and forged calls with 401 before reading them; a signed call is answered', async () => {
    const log = new LogSink('warn');
    rig = await CloudRig.start({ log: log.logger });
    const from = '50937000010';
    const body = rig.api.body({ messages: [wa.text(from, 'hola')] });
    const raw = JSON.stringify(body);
    const forged = sign(raw, 'not-the-app-secret');
    expect((await rig.api.post(rig.url, body, { signature: forged })).status).toBe(401);
    expect((await rig.api.post(rig.url, body, { signature: null })).status).toBe(401);
    expect((await rig.api.post(rig.url, body, { signature: 'sha256=' })).status).toBe(401);
    // Signed, then changed on the way.
    const tampered = raw.replace('hola', 'stop');
    expect(
      (await rig.api.post(rig.url, null, { raw: tampered, signature: sign(raw, rig.api.appSecret) })).status,
    ).toBe(401);
    // Not even parsed: broken JSON with a forged signature is a 401, not a 400.
    expect((await rig.api.post(rig.url, null, { raw: '{not json', signature: forged })).status).toBe(401);
    await rig.cloud.idle();
    expect(rig.api.sends()).toEqual([]);
    expect(rig.h.app.store.sessions.count()).toBe(0);
    expect(log.text).toContain('whatsapp_cloud.signature');

    const res = await rig.api.post(rig.url, body);
    expect(res.status).toBe(200);
    await rig.cloud.idle();
    expect(lastShown(rig.api.delivered(from)).choices).toContain('Trabajo y justicia laboral');
  });

  it('answers 400 to a signed body that is not JSON, 413 over 1 MB, 404 elsewhere', async () => {
    rig = await CloudRig.start();
    const bad = '{"object":';
    expect((await rig.api.post(rig.url, null, { raw: bad })).status).toBe(400);
    const big = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [],
      pad: 'x'.repeat(1024 * 1024),
    });
    expect(await rawPost(rig.url, big, { 'x-hub-signature-256': sign(big, rig.api.appSecret) }, true)).toBe(
      413,
    );
    const fits = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [],
      pad: 'x'.repeat(1000 * 1000),
    });
    expect(await rawPost(rig.url, fits, { 'x-hub-signature-256': sign(fits, rig.api.appSecret) })).toBe(200);
    expect((await fetch(`${rig.http.url}/nowhere`)).status).toBe(404);
    // Signed and JSON, but not a WhatsApp call: nothing to retry, nothing done.
    expect((await rig.api.post(rig.url, { object: 'page', entry: [] })).status).toBe(200);
  });

  it('answers text in Spanish, English and Creole, and takes pressed buttons and list rows', async () => {
    rig = await CloudRig.start();
    const es = await rig.exchange(wa.text('5215500000001', 'hola'));
    expect(shown(es[0]!).text).toContain('Hola, soy Puente');
    expect(lastShown(es)).toMatchObject({ kind: 'text' });
    expect(lastShown(es).choices.slice(0, 2)).toEqual(['Trabajo y justicia laboral', 'COVID-19: prevención']);
    expect(lastShown(await rig.exchange(wa.text('5215500000001', '1'))).text).toContain(
      'Tus derechos en el trabajo',
    );

    const en = await rig.exchange(wa.text('15550000002', 'hello'));
    expect(shown(en[0]!).text).toContain("Hi, I'm Puente");
    const home = lastShown(en);
    const covid = home.ids[home.choices.indexOf('COVID-19 prevention')]!;
    expect(covid).toBe('o|covid|main|home');
    const picked = lastShown(await rig.exchange(wa.listReply('15550000002', covid, 'COVID-19 prevention')));
    expect(picked.text).toContain('COVID-19: what do you want to know?');

    const ht = await rig.exchange(wa.text('50937000003', 'bonjou'));
    expect(lastShown(ht)).toMatchObject({ kind: 'list' });
    expect(lastShown(ht).choices[0]).toBe('Dwa travay ak jistis');
    const labor = lastShown(
      await rig.exchange(wa.listReply('50937000003', 'o|labor|main|home', 'Dwa travay ak jistis')),
    );
    expect(labor.text).toContain('Dwa ou nan travay');
    const answer = lastShown(
      await rig.exchange(wa.listReply('50937000003', 'o|unpaid|labor|topics', 'Yo pa peye m')),
    );
    expect(answer.text).toContain('Salè ki pa peye');
    // A row of the main menu pressed on the old message still does what it says.
    const old = lastShown(
      await rig.exchange(wa.listReply('50937000003', 'o|children|main|home', 'Timoun ak fanmi')),
    );
    expect(old.text).toContain('Timoun ak fanmi: kisa ou vle konnen?');
  });

  it('renders a menu as reply buttons, as a list or as numbered text depending on its size', async () => {
    rig = await CloudRig.start();
    // The language question: three short options.
    const first = lastShown(await rig.exchange(wa.text('50937000020', 'ok')));
    expect(first.kind).toBe('button');
    expect(first.choices).toEqual(['Español', 'English', 'Kreyòl ayisyen']);
    // Pressing a button takes it.
    const home = lastShown(
      await rig.exchange(wa.buttonReply('50937000020', first.ids[2]!, 'Kreyòl ayisyen')),
    );
    expect(home.kind).toBe('list');
    expect(home.choices).toHaveLength(8);
    expect(home.choices.every((c) => c.length <= 24)).toBe(true);
    // The Spanish main menu has labels over 24 characters.
    const es = lastShown(await rig.exchange(wa.text('5215500000021', 'hola')));
    expect(es.kind).toBe('text');
    expect(es.text).toContain('\n1. Trabajo y justicia laboral\n2. COVID-19: prevención');
  });

  it('answers a photo, a sticker and a location with the text-only note and the menu', async () => {
    rig = await CloudRig.start();
    const from = '5215500000030';
    await rig.exchange(wa.text(from, 'hola'));
    for (const message of [wa.media(from, 'image'), wa.media(from, 'sticker'), wa.location(from)]) {
      const sent = await rig.exchange(message);
      expect(shown(sent[0]!).text).toContain('solo puedo leer texto');
      expect(lastShown(sent).choices[0]).toBe('Trabajo y justicia laboral');
    }
  });

  it('answers a voice note with its own reply: it cannot listen yet; a person, or the menu', async () => {
    rig = await CloudRig.start();
    const from = '5215500000031';
    await rig.exchange(wa.text(from, 'hola'));
    const [reply, ...rest] = (await rig.exchange(wa.voice(from))).map(shown);
    expect(rest).toEqual([]);
    expect(reply!.text).toContain('Todavía no puedo escuchar notas de voz');
    expect(reply!.choices).toEqual(['🙋 Hablar con una persona', '🏠 Menú principal']);
  });

  it('tags a conversation that starts from an ad with its campaign, and a link payload in a sentence opens its flow', async () => {
    rig = await CloudRig.start();
    await rig.exchange(wa.referral('50937000040', 'Bonjou, mwen vle enfòmasyon', '120208123456789'));
    const opened = lastShown(
      await rig.exchange(wa.text('50937000041', 'Bonjou! Mwen vle enfòmasyon (ht_labor_leader-12)')),
    );
    expect(opened.text).toContain('Dwa ou nan travay');
    const campaigns = rig.h.app.db
      .prepare("SELECT DISTINCT campaign FROM events WHERE name = 'conversation_started' ORDER BY campaign")
      .pluck()
      .all();
    expect(campaigns).toEqual(['ad-120208123456789', 'leader-12']);
    const channels = rig.h.app.db.prepare('SELECT DISTINCT channel FROM events').pluck().all();
    expect(channels).toEqual(['whatsapp-cloud']);
  });

  it('handles a message delivered twice once, and keeps the number out of the database', async () => {
    rig = await CloudRig.start();
    const message = wa.text('50937000050', 'bonjou');
    const first = await rig.exchange(message);
    expect(first.length).toBeGreaterThan(0);
    expect(await rig.exchange(message)).toEqual([]);
    const key = rig.h.app.bot.userKeyOf('whatsapp-cloud', '50937000050');
    expect(key).not.toContain('50937000050');
    expect(rig.h.app.store.sessions.read(key)).not.toBeNull();
    const rows = JSON.stringify(rig.h.app.db.prepare('SELECT * FROM sessions').all());
    expect(rows).not.toContain('50937000050');
    expect(rows).not.toContain(message.id);
  });

  it('asks Meta to deliver again when a turn fails, and answers once when it does', async () => {
    rig = await CloudRig.start();
    const from = '50937000055';
    await rig.exchange(wa.text(from, 'bonjou'));
    const body = rig.api.body({ messages: [wa.text(from, '1'), wa.text('50937000056', 'bonjou')] });
    rig.h.app.db.exec('ALTER TABLE events RENAME TO events_away');
    expect((await rig.api.post(rig.url, body)).status).toBe(500);
    rig.h.app.db.exec('ALTER TABLE events_away RENAME TO events');
    await rig.cloud.idle();
    const before = rig.api.sends().length;
    expect((await rig.api.post(rig.url, body)).status).toBe(200);
    await rig.cloud.idle();
    expect(lastShown(rig.api.delivered(from)).text).toContain('Dwa ou nan travay');
    expect(rig.api.sends().length).toBeGreaterThan(before);
    // Delivered a third time: nothing more.
    const after = rig.api.sends().length;
    expect((await rig.api.post(rig.url, body)).status).toBe(200);
    await rig.cloud.idle();
    expect(rig.api.sends().length).toBe(after);
  });

  it('ignores calls for another number of the same app', async () => {
    rig = await CloudRig.start();
    const res = await rig.api.post(
      rig.url,
      rig.api.body({ messages: [wa.text('50937000060', 'hola')], phoneNumberId: '999999999' }),
    );
    expect(res.status).toBe(200);
    await rig.cloud.idle();
    expect(rig.api.sends()).toEqual([]);
    expect(rig.h.app.store.sessions.count()).toBe(0);
  });

  it('passes statuses on and counts failures by error code', async () => {
    const log = new LogSink('warn');
    rig = await CloudRig.start({ log: log.logger });
    const from = '50937000070';
    await rig.exchange(wa.text(from, 'bonjou'));
    const [id1, id2] = rig.api.sends(from).map((c) => c.messageId!);
    const res = await rig.post({
      statuses: [
        wa.status(id1!, 'sent', from),
        wa.status(id1!, 'delivered', from),
        wa.status(id1!, 'read', from),
        wa.status(id2!, 'failed', from, [{ code: 131026, title: 'Message undeliverable' }]),
        wa.status(id2!, 'failed', from, [{ code: 131047, title: 'Re-engagement message' }]),
        wa.status(id2!, 'failed', from, [{ code: 131026, title: 'Message undeliverable' }]),
        { id: 'x', status: 'played' },
        { nonsense: true },
      ],
    });
    expect(res.status).toBe(200);
    expect(rig.statuses.map((s) => [s.messageId, s.status])).toEqual([
      [id1, 'sent'],
      [id1, 'delivered'],
      [id1, 'read'],
      [id2, 'failed'],
      [id2, 'failed'],
      [id2, 'failed'],
    ]);
    expect(rig.statuses[3]!.errors).toEqual([{ code: 131026, title: 'Message undeliverable' }]);
    expect(rig.cloud.counters.failureCounts()).toEqual(
      expect.arrayContaining([
        { source: 'status', code: '131026', count: 2 },
        { source: 'status', code: '131047', count: 1 },
      ]),
    );
    expect(log.text).toContain('whatsapp_cloud.delivery_failed');
    expect(log.text).not.toContain(from);
  });

  it('backs off and retries when throttled, keeps the order, and keeps the message in the outbox until it goes', async () => {
    const clock = new FakeClock();
    rig = await CloudRig.start({ clock });
    const from = '5215500000080';
    rig.api.failNext({ status: 400, code: 130429, message: 'Rate limit hit' }, { status: 429, code: 80007 });
    const res = await rig.post({ messages: [wa.text(from, 'hola', clock.now())] });
    expect(res.status).toBe(200);
    await rig.api.until(() => rig!.api.sends(from).length === 1);
    // The number is throttled: the channel pauses 2 s by the injected clock; the reply waits in the outbox.
    expect(rig.h.app.store.outbox.backlog()).toBe(2);
    await clock.advance(1_999);
    expect(rig.api.sends(from)).toHaveLength(1);
    await clock.advance(1);
    await rig.api.until(() => rig!.api.sends(from).length === 2);
    await clock.advance(2_000);
    await rig.api.until(() => rig!.api.delivered(from).length === 2);
    await rig.cloud.idle();
    // The welcome first, then the menu: the retries did not reorder them.
    const delivered = rig.api.delivered(from).map(shown);
    expect(delivered[0]!.text).toContain('Hola, soy Puente');
    expect(delivered[1]!.choices[0]).toBe('Trabajo y justicia laboral');
    expect(rig.cloud.counters.failureCounts()).toEqual(
      expect.arrayContaining([
        { source: 'send', code: '130429', count: 1 },
        { source: 'send', code: '80007', count: 1 },
      ]),
    );
    expect(rig.h.app.store.outbox.backlog()).toBe(0);

    rig.api.failNext(...Array.from({ length: 3 }, () => ({ status: 400, code: 131056 })));
    const outcome = rig.cloud.sendFreeForm(from, [{ text: 'x', options: [], flow: null, step: null }], 'es');
    // Too many messages to one person: the pauses are 6 seconds.
    for (const n of [5, 6, 7]) {
      await rig.api.until(() => rig!.api.sends(from).length === n);
      expect(rig.api.delivered(from)).toHaveLength(2);
      await clock.advance(6_000);
    }
    expect(await outcome).toEqual([{ status: 'sent', messageId: expect.any(String) }]);
    expect(rig.api.sends(from)).toHaveLength(8);
    expect(rig.cloud.counters.failureCounts()).toEqual(
      expect.arrayContaining([{ source: 'send', code: '131056', count: 3 }]),
    );
  });

  it('drops an answer still waiting out a throttle when the person leaves with a quick exit', async () => {
    const clock = new FakeClock();
    rig = await CloudRig.start({ clock });
    const from = '5215500000085';
    rig.api.failNext({ status: 400, code: 130429 });
    await rig.post({ messages: [wa.text(from, 'mi patron no me paga el salario', clock.now())] });
    await rig.api.until(() => rig!.api.sends(from).length === 1);
    expect((await rig.post({ messages: [wa.text(from, 'salir', clock.now())] })).status).toBe(200);
    await clock.advance(2_000);
    await rig.cloud.idle();
    expect(rig.api.delivered(from)).toEqual([
      expect.objectContaining({ type: 'text', text: expect.objectContaining({ body: 'OK 👍' }) }),
    ]);
    expect(rig.h.app.store.sessions.count()).toBe(0);
  });

  it('free-form only within 24 hours of the last message, templates after, on a fake clock', async () => {
    const clock = new FakeClock();
    rig = await CloudRig.start({ clock });
    const from = '50937000090';
    const note = [{ text: 'Yon moun nan ekip nou an reponn ou.', options: [], flow: null, step: null }];
    await rig.exchange(wa.text(from, 'bonjou', clock.now()));
    const calls = () => rig!.api.sends(from).length;

    await clock.advance(23 * HOUR);
    expect(await rig.cloud.sendFreeForm(from, note, 'ht')).toEqual([
      { status: 'sent', messageId: expect.any(String) },
    ]);

    await clock.advance(2 * HOUR);
    const before = calls();
    expect(await rig.cloud.sendFreeForm(from, note, 'ht')).toEqual([{ status: 'held', reason: 'window' }]);
    expect(calls()).toBe(before);
    expect(rig.held).toMatchObject([{ reason: 'window', payload: { type: 'text' } }]);
    expect(JSON.stringify(rig.held)).not.toContain(from);

    const template = await rig.cloud.sendTemplate(from, 'reply_waiting', 'ht');
    expect(template).toMatchObject({ status: 'sent' });
    expect(rig.api.delivered(from).at(-1)).toMatchObject({
      to: from,
      type: 'template',
      template: { name: 'puente_reply_waiting', language: { code: 'fr' } },
    });

    // The person writes again: the window opens again.
    await rig.exchange(wa.text(from, 'meni', clock.now()));
    expect(await rig.cloud.sendFreeForm(from, note, 'ht')).toMatchObject([{ status: 'sent' }]);

    // Someone who never wrote: only a template.
    expect(await rig.cloud.sendFreeForm('50937000091', note, 'ht')).toEqual([
      { status: 'held', reason: 'window' },
    ]);
  });

  it('does not answer a message that arrives more than 24 hours after it was written', async () => {
    const clock = new FakeClock();
    rig = await CloudRig.start({ clock });
    const from = '50937000095';
    const old = wa.text(from, 'bonjou', clock.now() - WINDOW_MS - HOUR);
    expect((await rig.post({ messages: [old] })).status).toBe(200);
    await rig.cloud.idle();
    expect(rig.api.sends(from)).toEqual([]);
    expect(rig.held.map((h) => h.reason)).toEqual(['window', 'window']);
    // It was still read: the language is known.
    const key = rig.h.app.bot.userKeyOf('whatsapp-cloud', from);
    expect(rig.h.app.store.sessions.read(key)?.session.lang).toBe('ht');
  });

  it('sends a template with its parameters in the reader language, and refuses one without them', async () => {
    rig = await CloudRig.start();
    const from = '5215500000100';
    expect(await rig.cloud.sendTemplate(from, 'update', 'es', { topic: 'salario\nmínimo' })).toMatchObject({
      status: 'sent',
    });
    expect(rig.api.delivered(from)).toEqual([
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: from,
        type: 'template',
        template: {
          name: 'puente_update',
          language: { code: 'es' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: 'salario mínimo' }] }],
        },
      },
    ]);
    await expect(rig.cloud.sendTemplate(from, 'update', 'es')).rejects.toThrow(TemplateError);
    await expect(rig.cloud.sendTemplate(from, 'nope', 'es')).rejects.toThrow(/no template "nope"/);
  });

  it('holds a message Meta refuses for re-engagement, and marks an undeliverable one failed', async () => {
    rig = await CloudRig.start();
    const from = '50937000110';
    await rig.exchange(wa.text(from, 'bonjou'));
    const note = [{ text: 'Nòt', options: [], flow: null, step: null }];
    rig.api.failNext({ status: 400, code: 131047, message: 'Re-engagement message' });
    expect(await rig.cloud.sendFreeForm(from, note, 'ht')).toEqual([
      { status: 'held', reason: 'reengagement' },
    ]);
    rig.api.failNext({ status: 400, code: 131026, message: 'Message undeliverable' });
    expect(await rig.cloud.sendFreeForm(from, note, 'ht')).toEqual([
      { status: 'failed', reason: 'undeliverable', code: 131026 },
    ]);
    expect(rig.cloud.counters.heldCounts()).toEqual([{ reason: 'reengagement', count: 1 }]);
  });

  it('says clearly when the token is refused, turns the health red, keeps the replies, and sends them once the token works', async () => {
    const log = new LogSink('info');
    rig = await CloudRig.start({ log: log.logger, env: { WHATSAPP_CLOUD_TOKEN: 'EAAG-expired' } });
    expect(rig.cloud.health.ok).toBe(false);
    expect(rig.cloud.health.problem).toBe('token');
    expect(rig.channel.up?.()).toBe(false);
    expect(log.text).toContain('WHATSAPP_CLOUD_TOKEN');
    const from = '50937000120';
    expect((await rig.post({ messages: [wa.text(from, 'bonjou')] })).status).toBe(200);
    // One try is refused; the sender stops and the replies wait in the outbox.
    await rig.api.until(() => rig!.api.sends(from).length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(rig.api.sends(from)).toHaveLength(1);
    expect(rig.api.delivered(from)).toEqual([]);
    expect(rig.h.app.store.outbox.backlog()).toBe(2);
    expect(log.lines().filter((l) => l.code === 'whatsapp_cloud.token')).toHaveLength(1);
    expect(log.text).not.toContain('EAAG-expired');

    // The token is valid again (rotated upstream): the check passes, the flag clears, the replies go.
    (rig.cloud.client as unknown as { options: { token: string } }).options.token = rig.api.token;
    expect(await rig.cloud.retryAccess()).toBe(true);
    await rig.api.until(() => rig!.api.delivered(from).length === 2);
    expect(rig.cloud.health.ok).toBe(true);
    expect(rig.channel.up?.()).toBe(true);
    expect(rig.h.app.store.outbox.backlog()).toBe(0);
  });
});

describe('a campaign given with a text event', () => {
  it('tags the session; a payload in the same message names its own', async () => {
    const h = new Harness();
    try {
      const session = (user: string) =>
        h.app.store.sessions.read(h.app.bot.userKeyOf('console', user))?.session;
      await h.send('c1', { text: 'hola', campaign: 'ad-42' });
      expect(session('c1')?.campaign).toBe('ad-42');
      await h.send('c2', { text: 'Hola (es_labor_leader-3)', campaign: 'ad-42' });
      expect(session('c2')).toMatchObject({ campaign: 'leader-3', at: { flow: 'labor' } });
      await h.send('c3', { text: 'Hola (es_labor)', campaign: 'ad-42' });
      expect(session('c3')).toMatchObject({ campaign: 'ad-42', at: { flow: 'labor' } });
      await expect(h.send('c4', { text: 'hola', campaign: 'not a tag!' })).rejects.toThrow();
    } finally {
      h.close();
    }
  });
});
