import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTelegram } from '../src/channels/telegram/run.js';
import { WhatsAppAdapter } from '../src/channels/whatsapp/adapter.js';
import {
  BotApiStandIn,
  callbackUpdate,
  groupUpdate,
  memberUpdate,
  stickerUpdate,
  textUpdate,
} from './support/bot-api-standin.js';
import { cli } from './support/cli.js';
import { CloudRig } from './support/cloud-rig.js';
import { FakeClock, FakeWaClient, flush, waText } from './support/fake-whatsapp.js';
import { sign, wa } from './support/graph-api-standin.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

/** The user's raw id on every channel: a Haitian phone number, as WhatsApp ids are. */
const RAW_ID = 50937123456;
const NAME = 'Maria Lopez';
const PHONE = '5512345678';
/** What the user types; none of it may reach the log. */
const MESSAGES = [
  'hola',
  `me llamo ${NAME} y mi telefono es ${PHONE}`,
  'mi patron no me paga el salario',
  'quien gano el partido de futbol ayer',
  `Tapachula, soy ${NAME} ${PHONE}`,
];
/** Pieces of those messages long enough to be unambiguous in a log. */
const SECRETS = [
  String(RAW_ID),
  'Maria',
  'Lopez',
  PHONE,
  'patron',
  'salario',
  'partido',
  'futbol',
  'Tapachula',
];

function leaks(log: string): string[] {
  return SECRETS.filter((s) => log.toLowerCase().includes(s.toLowerCase()));
}

describe('LOG_LEVEL=trace never writes a raw id, a phone number, a name or message text', () => {
  it('through the bot, as the console and every channel drive it', async () => {
    const log = new LogSink('trace');
    const h = new Harness({ LOG_LEVEL: 'trace' }, { log: log.logger });
    try {
      for (const channel of ['console', 'whatsapp', 'telegram']) {
        for (const text of MESSAGES)
          await h.send(String(RAW_ID), { text }, undefined, channel, `u-${RAW_ID}-${text}`);
        await h.send(String(RAW_ID), { text: '6' }, undefined, channel);
        await h.send(String(RAW_ID), { media: 'voice' }, undefined, channel);
        await h.send(String(RAW_ID), { text: 'stop' }, undefined, channel);
      }
      await h.app.bot.forgetUser('telegram', String(RAW_ID));
    } finally {
      h.close();
    }
    // The log is in use at this level (start-up and retention lines), so a leak would show.
    expect(log.lines().length).toBeGreaterThan(0);
    expect(leaks(log.text)).toEqual([]);
  });

  it('from the console chat command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'puente-logcli-'));
    try {
      const r = cli(['chat', '--json', '--user', String(RAW_ID)], `${MESSAGES.join('\n')}\nstop\n`, {
        DB_PATH: join(dir, 'chat.db'),
        SECRET_KEY_FILE: join(dir, 'secret.key'),
        LOG_LEVEL: 'trace',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.lines.length).toBeGreaterThan(MESSAGES.length);
      expect(r.stderr).toContain('"level":');
      expect(leaks(r.stderr)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on Telegram, against the stand-in Bot API, with ignored updates, failures and a block', async () => {
    const api = new BotApiStandIn();
    const root = await api.start();
    const log = new LogSink('trace');
    const h = new Harness(
      { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root, LOG_LEVEL: 'trace' },
      { log: log.logger },
    );
    const channel = await startTelegram(h.app);
    try {
      for (const text of MESSAGES) api.push(textUpdate(RAW_ID, text, 'es'));
      await api.until(() => api.sent(RAW_ID).length >= MESSAGES.length + 1);
      const menuId = 1000 + api.sent().length - 1;
      api.push(callbackUpdate(RAW_ID, 'o|labor|main|home', menuId));
      api.push(callbackUpdate(RAW_ID, 'garbage', menuId));
      api.push(stickerUpdate(RAW_ID));
      api.push(groupUpdate(RAW_ID, `${NAME} ${PHONE} en el grupo`));
      api.push({ update_id: 999_001, edited_message: textUpdate(RAW_ID, `${NAME} editado`).message });
      await api.until(() => log.text.includes('edited message'));
      // Telegram's error text can quote the chat: the log keeps the error, not the number.
      api.failNext('sendMessage', {
        error_code: 400,
        description: `Bad Request: chat ${RAW_ID} not found`,
      });
      const sent = api.sent(RAW_ID).length;
      api.push(textUpdate(RAW_ID, 'mi patron no me paga el salario', 'es'));
      // Sending is the outbox's work: a refused message is logged by it, once.
      await api.until(() => log.text.includes('outbox.rejected') && api.calls.length > sent);
      api.push(memberUpdate(RAW_ID, 'kicked'));
      await api.until(() => log.text.includes('telegram.blocked'));
    } finally {
      await channel.stop();
      await api.stop();
      h.close();
    }
    const codes = log.lines().map((l) => l.code ?? l.msg);
    expect(codes).toEqual(
      expect.arrayContaining(['outbox.rejected', 'telegram.blocked', 'telegram update ignored']),
    );
    expect(log.text).toContain('Bad Request: chat # not found');
    expect(leaks(log.text)).toEqual([]);
  });

  it('on WhatsApp, with a fake client whose errors quote the chat', async () => {
    const log = new LogSink('trace');
    const clock = new FakeClock();
    // The app's clock is the fake one too: a send that failed is tried again from the outbox.
    const h = new Harness({ LOG_LEVEL: 'trace' }, { log: log.logger, now: () => clock.now() });
    const shared = { sent: [] as Array<{ chatId: string; text: string }> };
    let failures = 1;
    class FailingClient extends FakeWaClient {
      override async sendMessage(chatId: string, text: string): Promise<string> {
        if (failures-- > 0) throw new Error(`Evaluation failed: no chat ${chatId}`);
        return super.sendMessage(chatId, text);
      }
    }
    const adapter = new WhatsAppAdapter(h.app.bot, log.logger, {
      factory: () => new FailingClient(shared),
      clock,
      pacing: { perChatGapMs: 0, perMinute: 1_000_000, jitterMs: 0 },
    });
    try {
      adapter.start();
      await flush();
      const client = FakeWaClient.all.at(-1)!;
      const chat = `${RAW_ID}@c.us`;
      for (const text of [...MESSAGES, 'stop']) {
        client.emit('message', waText(chat, text, clock.now()));
        await clock.advance(2_000);
      }
      client.emit('message', { ...waText(`${RAW_ID}-1600000000@g.us`, `${NAME} ${PHONE}`, clock.now()) });
      client.emit('message', { ...waText(chat, PHONE, clock.now()), type: 'ptt' });
      await clock.advance(10);
    } finally {
      await adapter.stop();
      h.close();
    }
    expect(shared.sent.length).toBeGreaterThan(MESSAGES.length);
    expect(log.text).toContain('send_failed');
    expect(log.text).toContain('whatsapp message ignored');
    expect(leaks(log.text)).toEqual([]);
  });

  it('on the WhatsApp Cloud API, over the stand-in, with refusals that quote the number, statuses and forgeries', async () => {
    const log = new LogSink('trace');
    const rig = await CloudRig.start({ log: log.logger, env: { LOG_LEVEL: 'trace' } });
    const from = String(RAW_ID);
    try {
      for (const text of MESSAGES) await rig.exchange(wa.text(from, text));
      // Meta's error text can quote the number: the log keeps the error, not the number.
      rig.api.failNext({
        status: 400,
        code: 131030,
        message: `Recipient phone number ${RAW_ID} not in allowed list`,
      });
      await rig.exchange(wa.text(from, 'mi patron no me paga el salario'));
      await rig.exchange(wa.voice(from));
      await rig.exchange({ ...wa.text(from, ''), type: 'reaction', reaction: { emoji: '👍' } });
      await rig.exchange(wa.referral(from, `${NAME} ${PHONE}`, '120208123456789'));
      const id = rig.api.sends(from)[0]!.messageId!;
      await rig.post({
        statuses: [
          wa.status(id, 'read', from),
          wa.status(id, 'failed', from, [{ code: 131026, title: 'Undeliverable' }]),
        ],
      });
      const forged = JSON.stringify(rig.api.body({ messages: [wa.text(from, `${NAME} ${PHONE}`)] }));
      await rig.api.post(rig.url, null, { raw: forged, signature: sign(forged, 'wrong') });
      await rig.exchange(wa.text(from, 'stop'));
    } finally {
      await rig.close();
    }
    const codes = log.lines().map((l) => l.code ?? l.msg);
    expect(codes).toEqual(
      expect.arrayContaining([
        'whatsapp_cloud.send_failed',
        'whatsapp_cloud.delivery_failed',
        'whatsapp_cloud.signature',
        'whatsapp-cloud message ignored',
      ]),
    );
    expect(log.text).toContain('Recipient phone number # not in allowed list');
    expect(leaks(log.text)).toEqual([]);
  });
});
