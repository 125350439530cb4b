import { describe, expect, it } from 'vitest';
import {
  convertMessageToTelegram,
  convertUpdateToIncoming,
  decodeCallback,
  encodeCallback,
  MAX_TEXT,
} from '../src/channels/telegram/convert.js';
import { escapeMarkup } from '../src/engine/turn.js';
import {
  callbackUpdate,
  groupUpdate,
  memberUpdate,
  stickerUpdate,
  textUpdate,
  voiceUpdate,
} from './support/bot-api-standin.js';

describe('Telegram conversion', () => {
  it('turns options into one button per row, with ids (not labels) in the callback data', () => {
    const [send] = convertMessageToTelegram({
      text: '*Menú* <hola> & adiós',
      options: [
        { id: 'labor', label: 'Trabajo' },
        { id: 'menu', label: 'Menú' },
      ],
      flow: 'main',
      step: 'home',
    });
    expect(send!.text).toBe('<b>Menú</b> &lt;hola&gt; &amp; adiós');
    expect(send!.reply_markup!.inline_keyboard).toEqual([
      [{ text: 'Trabajo', callback_data: 'o|labor|main|home' }],
      [{ text: 'Menú', callback_data: 'o|menu|main|home' }],
    ]);
  });

  it('escapes user text for HTML and keeps it from formatting', () => {
    const [send] = convertMessageToTelegram({
      text: `País: ${escapeMarkup('<b>*x*</b>')}`,
      options: [],
      flow: null,
      step: null,
    });
    expect(send!.text).toBe('País: &lt;b&gt;*x*&lt;/b&gt;');
  });

  it('keeps callback data within 64 bytes, dropping the menu position when it must', () => {
    const long = encodeCallback('labor.discrimination-harassment', {
      flow: 'a-very-long-flow-name',
      step: 'a-very-long-step-name',
    });
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(64);
    expect(decodeCallback(long)).toEqual({ choice: 'labor.discrimination-harassment' });
    expect(decodeCallback(encodeCallback('yes', { flow: 'labor', step: 'topics' }))).toEqual({
      choice: 'yes',
      at: { flow: 'labor', step: 'topics' },
    });
    expect(decodeCallback('garbage')).toBeNull();
  });

  it('splits answers longer than 4096 characters at paragraphs, buttons on the last part', () => {
    const text = Array.from({ length: 40 }, (_, i) => `Párrafo ${i}: ${'palabra '.repeat(30)}`).join('\n\n');
    const sends = convertMessageToTelegram({
      text,
      options: [{ id: 'menu', label: 'Menú' }],
      flow: null,
      step: null,
    });
    expect(sends.length).toBeGreaterThan(1);
    for (const s of sends) expect(s.text.length).toBeLessThanOrEqual(MAX_TEXT);
    expect(sends.slice(0, -1).every((s) => !s.reply_markup)).toBe(true);
    expect(sends.at(-1)!.reply_markup).toBeDefined();
    expect(sends[1]!.text.startsWith('Párrafo')).toBe(true);
  });

  it('maps updates to engine events', () => {
    expect(convertUpdateToIncoming(textUpdate(1, '/start ht_labor', 'ht'))).toMatchObject({
      event: { start: 'ht_labor' },
      hint: { lang: 'ht', sure: false },
    });
    expect(convertUpdateToIncoming(textUpdate(1, '/start', 'fr'))).toMatchObject({ event: { start: '' } });
    expect(convertUpdateToIncoming(textUpdate(1, '/menu', 'es'))).toMatchObject({ event: { text: '/menu' } });
    expect(convertUpdateToIncoming(stickerUpdate(1))).toMatchObject({ event: { media: 'sticker' } });
    expect(convertUpdateToIncoming(voiceUpdate(1))).toMatchObject({
      event: { voice: { kind: 'voice', media: 'AwACAgEAAxkBAAIvoice1', seconds: 4, mime: 'audio/ogg' } },
    });
    expect(convertUpdateToIncoming(groupUpdate(1, 'hola'))).toEqual({ ignore: 'group chat' });
    expect(convertUpdateToIncoming(callbackUpdate(1, 'o|covid|main|home', 7))).toMatchObject({
      event: { choice: 'covid', at: { flow: 'main', step: 'home' } },
      pressed: { messageId: 7 },
    });
    const edited = { update_id: 9, edited_message: textUpdate(1, 'x').message };
    expect(convertUpdateToIncoming(edited)).toEqual({ ignore: 'edited message' });
  });

  it('turns a user blocking the bot into a forget, and ignores other membership changes', () => {
    expect(convertUpdateToIncoming(memberUpdate(50937123, 'kicked'))).toEqual({ forget: '50937123' });
    expect(convertUpdateToIncoming(memberUpdate(50937123, 'member'))).toEqual({
      ignore: 'membership change',
    });
    expect(convertUpdateToIncoming(memberUpdate(-100, 'kicked', 'group'))).toEqual({
      ignore: 'membership change outside a private chat',
    });
  });
});
