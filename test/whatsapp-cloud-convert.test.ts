import { describe, expect, it } from 'vitest';
import { classifyError } from '../src/channels/whatsapp-cloud/errors.js';
import {
  campaignOf,
  convertCloudMessage,
  convertCloudStatus,
} from '../src/channels/whatsapp-cloud/incoming.js';
import {
  type CloudPayload,
  convertMessageToCloud,
  cutTail,
  MAX_BODY,
  MAX_TEXT,
  menuRendering,
} from '../src/channels/whatsapp-cloud/outgoing.js';
import { signBody, validSignature } from '../src/channels/whatsapp-cloud/signature.js';
import { sendDecision, WINDOW_MS, windowOpen } from '../src/channels/whatsapp-cloud/window.js';
import { escapeMarkup } from '../src/engine/turn.js';
import type { OptionOut, OutMessage } from '../src/engine/types.js';
import { wa } from './support/graph-api-standin.js';

const LIST = { listButton: 'Ver opciones' };
const opts = (...labels: string[]): OptionOut[] => labels.map((label, i) => ({ id: `o${i + 1}`, label }));
const msg = (text: string, options: OptionOut[] = []): OutMessage => ({
  text,
  options,
  flow: 'labor',
  step: 'topics',
});

describe('Cloud API: menus as buttons, lists or numbered text', () => {
  const cases: Array<[string, OptionOut[], string, ReturnType<typeof menuRendering>]> = [
    ['no options', [], 'Ver opciones', 'numbered'],
    ['1 short option', opts('Sí'), 'Ver opciones', 'buttons'],
    ['3 options of 20 characters', opts('a'.repeat(20), 'b', 'c'), 'Ver opciones', 'buttons'],
    ['3 options, one of 21 characters', opts('a'.repeat(21), 'b', 'c'), 'Ver opciones', 'list'],
    ['4 short options', opts('a', 'b', 'c', 'd'), 'Ver opciones', 'list'],
    [
      '10 options of 24 characters',
      opts(...Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(24, 'x'))),
      'Ver',
      'list',
    ],
    ['10 options, one of 25 characters', opts('x'.repeat(25), ...'abcdefghi'.split('')), 'Ver', 'numbered'],
    ['11 short options', opts(...'abcdefghijk'.split('')), 'Ver', 'numbered'],
    ['a list whose button text is too long', opts('a', 'b', 'c', 'd'), 'x'.repeat(21), 'numbered'],
    ['a list without button text', opts('a', 'b', 'c', 'd'), '  ', 'numbered'],
    ['two options with the same title', opts('Menú', 'Menú'), 'Ver', 'numbered'],
    ['an option id too long to carry', [{ id: 'x'.repeat(250), label: 'a' }], 'Ver', 'numbered'],
  ];
  it.each(cases)('%s', (_name, options, listButton, want) => {
    expect(menuRendering(options, listButton)).toBe(want);
  });

  it('sends reply buttons that carry the option and its menu', () => {
    const [out] = convertMessageToCloud(msg('¿Te sirvió?', opts('👍 Sí', '👎 No')), LIST);
    expect(out).toEqual({
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: '¿Te sirvió?' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'o|o1|labor|topics', title: '👍 Sí' } },
            { type: 'reply', reply: { id: 'o|o2|labor|topics', title: '👎 No' } },
          ],
        },
      },
    });
  });

  it('sends a list with the button text given, rows in order', () => {
    const [out] = convertMessageToCloud(msg('Temas', opts('a', 'b', 'c', 'd', 'e')), LIST);
    expect(out!.type).toBe('interactive');
    const list = out as Extract<CloudPayload, { type: 'interactive' }>;
    expect(list.interactive.type).toBe('list');
    if (list.interactive.type !== 'list') return;
    expect(list.interactive.action.button).toBe('Ver opciones');
    expect(list.interactive.action.sections[0]!.rows.map((r) => r.title)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(list.interactive.action.sections[0]!.rows[4]!.id).toBe('o|o5|labor|topics');
  });

  it('sends numbered text, as WhatsApp Web, when a label is too long', () => {
    const out = convertMessageToCloud(msg('Temas', opts('Trabajo y justicia laboral', 'b')), LIST);
    expect(out).toEqual([
      { type: 'text', text: { body: 'Temas\n\n1. Trabajo y justicia laboral\n2. b', preview_url: false } },
    ]);
  });

  it('keeps WhatsApp markup and escapes what a user typed', () => {
    const text = `*Hola* _amiga_, dijiste: ${escapeMarkup('*no* me _pagan_')}`;
    const [out] = convertMessageToCloud(msg(text), LIST);
    const body = (out as { text: { body: string } }).text.body;
    expect(body.startsWith('*Hola* _amiga_')).toBe(true);
    expect(body).toContain('*\u2060no*\u2060 me _\u2060pagan_\u2060');
  });

  it('splits text over 4,096 characters at paragraphs', () => {
    const para = `${'palabra '.repeat(60).trim()}.`;
    const text = Array.from({ length: 20 }, () => para).join('\n\n');
    const out = convertMessageToCloud(msg(text), LIST);
    expect(out.length).toBe(Math.ceil(text.length / MAX_TEXT));
    for (const part of out) {
      const body = (part as { text: { body: string } }).text.body;
      expect(body.length).toBeLessThanOrEqual(MAX_TEXT);
      expect(body.endsWith('.')).toBe(true);
    }
    expect(out.map((p) => (p as { text: { body: string } }).text.body).join('\n\n')).toBe(text);
  });

  it('sends a long text before the buttons, the last paragraphs with them', () => {
    const para = `${'dato '.repeat(50).trim()}.`;
    const text = Array.from({ length: 6 }, (_, i) => `${i} ${para}`).join('\n\n');
    const out = convertMessageToCloud(msg(text, opts('Sí', 'No')), LIST);
    expect(out.map((p) => p.type)).toEqual(['text', 'interactive']);
    const body = (out[1] as Extract<CloudPayload, { type: 'interactive' }>).interactive.body.text;
    expect(body.length).toBeLessThanOrEqual(MAX_BODY);
    // Paragraphs of 252 characters: the last four (0 and 1 go before) fit in 1,024.
    expect(body.startsWith('2 dato')).toBe(true);
    expect(`${(out[0] as { text: { body: string } }).text.body}\n\n${body}`).toBe(text);
  });

  it('cuts the tail at a paragraph, else a line, else a space', () => {
    expect(cutTail('short', 10)).toEqual(['', 'short']);
    expect(cutTail('aaaa\n\nbbbb cc', 8)).toEqual(['aaaa', 'bbbb cc']);
    expect(cutTail('aaaa\nbbbb cc', 8)).toEqual(['aaaa', 'bbbb cc']);
    expect(cutTail('aaaa bbbb cc', 8)).toEqual(['aaaa', 'bbbb cc']);
    expect(cutTail('abcdefghij', 4)).toEqual(['abcdef', 'ghij']);
  });
});

describe('Cloud API: incoming messages', () => {
  const from = '50937000001';
  it.each([
    ['text', wa.text(from, 'hola'), { text: 'hola' }],
    [
      'a pressed button',
      wa.buttonReply(from, 'o|yes|faq|answer', 'Sí'),
      { choice: 'yes', at: { flow: 'faq', step: 'answer' } },
    ],
    [
      'a list row',
      wa.listReply(from, 'o|labor|main|home', 'Trabajo'),
      { choice: 'labor', at: { flow: 'main', step: 'home' } },
    ],
    ['a row without its menu', wa.listReply(from, 'o|labor', 'Trabajo'), { choice: 'labor' }],
    ['a button id that is not ours', wa.buttonReply(from, 'something-else', 'Menú'), { text: 'Menú' }],
    [
      'a voice note',
      wa.voice(from),
      { voice: { kind: 'voice', media: 'media1', mime: 'audio/ogg; codecs=opus' } },
    ],
    [
      'an audio file',
      { ...wa.voice(from), audio: { id: 'a', voice: false } },
      { voice: { kind: 'audio', media: 'a' } },
    ],
    ['a photo', wa.media(from, 'image'), { media: 'image' }],
    ['a video', wa.media(from, 'video'), { media: 'video' }],
    ['a document', wa.media(from, 'document'), { media: 'document' }],
    ['a sticker', wa.media(from, 'sticker'), { media: 'sticker' }],
    ['a location', wa.location(from), { media: 'location' }],
    [
      'an ad click',
      wa.referral(from, 'Hola', '120208123456789'),
      { text: 'Hola', campaign: 'ad-120208123456789' },
    ],
    [
      'a template quick reply',
      { ...wa.text(from, ''), type: 'button', button: { payload: 'Ver', text: 'Ver' } },
      { text: 'Ver' },
    ],
  ])('%s', (_name, raw, event) => {
    const out = convertCloudMessage(raw);
    expect(out).toMatchObject({ user: from, address: { to: from }, event });
    expect('event' in out && out.event).toEqual(event);
  });

  it('takes the message id as the delivery id and the WhatsApp time in milliseconds', () => {
    const raw = wa.text(from, 'hola', 1_800_000_123_000);
    expect(convertCloudMessage(raw)).toMatchObject({ updateId: raw.id, at: 1_800_000_123_000 });
  });

  it('addresses someone known only by a business-scoped id by that id', () => {
    const { from: _phone, ...raw } = { ...wa.text(from, 'hola'), from_user_id: 'US.13491208655302741918' };
    expect(convertCloudMessage(raw)).toMatchObject({
      user: 'bsuid:US.13491208655302741918',
      address: { recipient: 'US.13491208655302741918' },
    });
  });

  it.each([
    ['a reaction', { ...wa.text(from, ''), type: 'reaction', reaction: { emoji: '👍' } }],
    ['a number change notice', { ...wa.text(from, ''), type: 'system' }],
    ['a group message', { ...wa.text(from, 'hola'), group_id: 'G1' }],
    ['a message without sender', { id: 'x', type: 'text', text: { body: 'hola' } }],
    ['a malformed message', { type: 5 }],
  ])('ignores %s', (_name, raw) => {
    expect(convertCloudMessage(raw)).toHaveProperty('ignore');
  });

  it('makes a campaign tag from an ad or post id, and nothing from a referral without one', () => {
    expect(campaignOf({ referral: { source_type: 'post', source_id: '99/88' } })).toBe('post-9988');
    expect(campaignOf({ referral: { source_id: 'x'.repeat(60) } })).toHaveLength(40);
    expect(campaignOf({ referral: { source_type: 'ad' } })).toBeUndefined();
    expect(campaignOf({})).toBeUndefined();
  });

  it('reads statuses, with error codes, and ignores the ones it does not track', () => {
    expect(convertCloudStatus(wa.status('wamid.1', 'delivered', from))).toMatchObject({
      messageId: 'wamid.1',
      status: 'delivered',
      errors: [],
    });
    expect(
      convertCloudStatus(
        wa.status('wamid.2', 'failed', from, [{ code: 131026, title: 'Message undeliverable' }]),
      ),
    ).toMatchObject({ status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] });
    expect(convertCloudStatus(wa.status('wamid.3', 'played', from))).toHaveProperty('ignore');
    expect(convertCloudStatus({ status: 'sent' })).toHaveProperty('ignore');
    // The recipient's number is not passed on.
    expect(JSON.stringify(convertCloudStatus(wa.status('wamid.4', 'read', from)))).not.toContain(from);
  });
});

describe('Cloud API: what to do about an error', () => {
  it.each([
    [{ httpStatus: 400, code: 130429 }, 1, { action: 'retry', reason: 'throttled', delayMs: 2_000 }],
    [{ httpStatus: 400, code: 130429 }, 3, { action: 'retry', reason: 'throttled', delayMs: 8_000 }],
    [{ httpStatus: 400, code: 131056 }, 1, { action: 'retry', reason: 'throttled', delayMs: 6_000 }],
    [{ httpStatus: 400, code: 80007 }, 2, { action: 'retry', reason: 'throttled', delayMs: 4_000 }],
    [{ httpStatus: 429, code: 80007, retryAfterMs: 30_000 }, 1, { action: 'retry', delayMs: 30_000 }],
    [{ httpStatus: 429 }, 1, { action: 'retry', reason: 'throttled' }],
    [{ httpStatus: 400, code: 130429 }, 20, { action: 'retry', delayMs: 300_000 }],
    [{ httpStatus: 400, code: 131047 }, 1, { action: 'hold', reason: 'reengagement' }],
    [{ code: 131047 }, 1, { action: 'hold', reason: 'reengagement' }],
    [{ httpStatus: 400, code: 131026 }, 1, { action: 'fail', reason: 'undeliverable' }],
    [{ httpStatus: 401, code: 190 }, 1, { action: 'stop', reason: 'token' }],
    [{ httpStatus: 401 }, 1, { action: 'stop', reason: 'token' }],
    [{ httpStatus: 403, code: 10 }, 1, { action: 'stop', reason: 'permission' }],
    [{ httpStatus: 403, code: 200 }, 1, { action: 'stop', reason: 'permission' }],
    [{ httpStatus: 400, code: 368 }, 1, { action: 'stop', reason: 'account' }],
    [{ httpStatus: 500, code: 131000 }, 1, { action: 'retry', reason: 'transient' }],
    [{ httpStatus: 503 }, 1, { action: 'retry', reason: 'transient' }],
    [{ httpStatus: 0 }, 1, { action: 'retry', reason: 'transient' }],
    [{ httpStatus: 400, code: 100 }, 1, { action: 'fail', reason: 'rejected' }],
    [{ httpStatus: 400, code: 132001 }, 1, { action: 'fail', reason: 'rejected' }],
  ] as const)('%o on try %i', (failure, attempt, want) => {
    expect(classifyError(failure, attempt)).toMatchObject(want);
  });
});

describe('Cloud API: the 24-hour window, on a fake clock', () => {
  const last = 1_800_000_000_000;
  it.each([
    [0, true],
    [60 * 60 * 1000, true],
    [23 * 60 * 60 * 1000, true],
    [WINDOW_MS - 3 * 60 * 1000, true],
    // Closed a little early: the stored time is rounded, and a send takes a moment.
    [WINDOW_MS - 60 * 1000, false],
    [WINDOW_MS, false],
    [25 * 60 * 60 * 1000, false],
  ])('%i ms after the last message: open %s', (after, open) => {
    expect(windowOpen(last, last + after)).toBe(open);
    expect(sendDecision('free-form', last, last + after)).toBe(open ? 'send' : 'hold');
    expect(sendDecision('template', last, last + after)).toBe('send');
  });

  it('is closed for someone who never wrote', () => {
    expect(windowOpen(null, last)).toBe(false);
    expect(sendDecision('free-form', null, last)).toBe('hold');
    expect(sendDecision('template', null, last)).toBe('send');
  });
});

describe('Cloud API: signatures', () => {
  const raw = new TextEncoder().encode('{"object":"whatsapp_business_account","entry":[]}');
  it('accepts the HMAC-SHA256 of the raw body with the app secret, and nothing else', () => {
    const good = signBody(raw, 'secret');
    expect(good).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(validSignature(raw, good, 'secret')).toBe(true);
    expect(validSignature(raw, good.toUpperCase().replace('SHA256', 'sha256'), 'secret')).toBe(true);
    expect(validSignature(raw, signBody(raw, 'other'), 'secret')).toBe(false);
    expect(validSignature(new TextEncoder().encode('{"object":"x"}'), good, 'secret')).toBe(false);
    expect(validSignature(raw, good.slice(0, -1), 'secret')).toBe(false);
    expect(validSignature(raw, good.replace('sha256=', 'sha1='), 'secret')).toBe(false);
    expect(validSignature(raw, undefined, 'secret')).toBe(false);
    expect(validSignature(raw, '', 'secret')).toBe(false);
  });
});
