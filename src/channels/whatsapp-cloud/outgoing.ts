import type { OptionOut, OutMessage } from '../../engine/types.js';
import { encodeChoice } from '../choice.js';
import { convertToPlain, convertToWhatsApp, numberedMenu, splitText } from '../render.js';
import type { TemplateMessage } from './templates.js';

/** The Cloud API's limits for what the bot sends. */
export const MAX_TEXT = 4096;
/** The body of a message with buttons or a list. */
export const MAX_BODY = 1024;
export const MAX_BUTTONS = 3;
export const MAX_BUTTON_TITLE = 20;
export const MAX_ROWS = 10;
export const MAX_ROW_TITLE = 24;
/** The button that opens a list. */
export const MAX_LIST_BUTTON = 20;
/** Row ids may hold 200 characters, button ids 256: the smaller for both. */
export const MAX_ID = 200;

export type TextPayload = { type: 'text'; text: { body: string; preview_url: false } };
type Reply = { id: string; title: string };
export type ButtonsPayload = {
  type: 'interactive';
  interactive: {
    type: 'button';
    body: { text: string };
    action: { buttons: Array<{ type: 'reply'; reply: Reply }> };
  };
};
export type ListPayload = {
  type: 'interactive';
  interactive: {
    type: 'list';
    body: { text: string };
    action: { button: string; sections: Array<{ rows: Reply[] }> };
  };
};

/** A voice note: an OGG/Opus file uploaded to the media endpoint first. */
export type AudioPayload = { type: 'audio'; audio: { id: string } };
/**
 * A recorded answer still to upload (`file` relative to data/): plain data, so it can wait in a
 * queue; the sender turns it into an audio message when its turn comes.
 */
export type VoicePayload = { type: 'voice'; voice: { file: string } };

/** One message as the Cloud API takes it, without the recipient. */
export type CloudPayload = TextPayload | ButtonsPayload | ListPayload | TemplateMessage | AudioPayload;
/** What the sender is given: messages, and recordings to upload before they go. */
export type QueuedPayload = CloudPayload | VoicePayload;

export type MenuRendering = 'buttons' | 'list' | 'numbered';

export type CloudRenderOptions = {
  /** The text of the button that opens a list, in the reader's language (locales: whatsapp.listButton). */
  listButton: string;
};

/**
 * How a menu is shown: up to 3 short options as reply buttons, up to 10 as a list, anything else
 * (more options, a label too long, a list button text too long) as numbered text, as on WhatsApp Web.
 */
export function menuRendering(options: readonly OptionOut[], listButton: string): MenuRendering {
  if (!options.length) return 'numbered';
  const titles = options.map((o) => label(o));
  const ids = options.map((o) => encodeChoice(o.id, null, MAX_ID));
  if (ids.some((id) => id === null) || new Set(titles).size !== titles.length) return 'numbered';
  if (options.length <= MAX_BUTTONS && titles.every((t) => t.length <= MAX_BUTTON_TITLE)) return 'buttons';
  const button = listButton.trim();
  if (
    options.length <= MAX_ROWS &&
    titles.every((t) => t.length <= MAX_ROW_TITLE) &&
    button.length > 0 &&
    button.length <= MAX_LIST_BUTTON
  ) {
    return 'list';
  }
  return 'numbered';
}

/**
 * One engine message as Cloud API messages. Text over 4,096 characters is split at paragraphs;
 * with buttons or a list, the last part (at most 1,024 characters) goes with them.
 */
export function convertMessageToCloud(message: OutMessage, options: CloudRenderOptions): CloudPayload[] {
  const rendering = menuRendering(message.options, options.listButton);
  const body = convertToWhatsApp(message.text);
  if (rendering === 'numbered' || !body.trim()) {
    return splitText(numberedMenu(body, message.buttonsOnly ? [] : message.options), MAX_TEXT).map(
      textPayload,
    );
  }
  const [head, tail] = cutTail(body, MAX_BODY);
  const before = head ? splitText(head, MAX_TEXT).map(textPayload) : [];
  const at = message.flow && message.step ? { flow: message.flow, step: message.step } : null;
  const replies = message.options.map((o) => ({ id: encodeChoice(o.id, at, MAX_ID)!, title: label(o) }));
  if (rendering === 'buttons') {
    return [
      ...before,
      {
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: tail },
          action: { buttons: replies.map((reply) => ({ type: 'reply', reply })) },
        },
      },
    ];
  }
  return [
    ...before,
    {
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: tail },
        action: { button: options.listButton.trim(), sections: [{ rows: replies }] },
      },
    },
  ];
}

export function textPayload(body: string): TextPayload {
  return { type: 'text', text: { body, preview_url: false } };
}

/** Buttons and rows show plain text: no markup, no escapes. */
function label(o: OptionOut): string {
  return convertToPlain(o.label).trim();
}

/**
 * Splits off the end of a text, at most `max` characters, at the earliest paragraph break (then
 * line break, then space) that leaves it short enough: as much text as fits stays with the menu.
 */
export function cutTail(text: string, max: number): [string, string] {
  if (text.length <= max) return ['', text];
  const from = text.length - max;
  for (const sep of ['\n\n', '\n', ' ']) {
    const i = text.indexOf(sep, from - sep.length);
    const tail = i >= 0 ? text.slice(i + sep.length).trimStart() : '';
    if (tail) return [text.slice(0, i).trimEnd(), tail];
  }
  return [text.slice(0, from), text.slice(from)];
}
