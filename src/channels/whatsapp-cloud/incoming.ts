import { CampaignSchema } from '../../engine/payload.js';
import type { Event, VoiceNote } from '../../engine/types.js';
import { decodeChoice } from '../choice.js';
import { type CloudMessage, CloudMessageSchema, CloudStatusSchema, STATUSES } from './schema.js';

/**
 * Where replies go: the phone number (wa_id) when WhatsApp gives it, else the business-scoped
 * user id of someone who hides their number behind a username.
 */
export type CloudAddress = { to: string } | { recipient: string };

export type CloudIncoming = {
  /** The id hashed into the user key; never logged, never stored. */
  user: string;
  address: CloudAddress;
  /** The message id: a redelivered webhook call is recognised by it. */
  updateId: string;
  /** When the user sent it (ms), as WhatsApp stamps it: the 24-hour window counts from here. */
  at?: number;
  event: Event;
};

export type Ignored = { ignore: string };

const MEDIA = new Set([
  'image',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'unsupported',
  'unknown',
]);

/**
 * Maps one incoming message to an engine event. Only one-to-one chats are served; reactions and
 * system notices (a number change) are not messages to answer.
 */
export function convertCloudMessage(raw: unknown): CloudIncoming | Ignored {
  const parsed = CloudMessageSchema.safeParse(raw);
  if (!parsed.success) return { ignore: 'malformed message' };
  const m = parsed.data;
  if (m.group_id) return { ignore: 'group message' };
  const address: CloudAddress | null = m.from
    ? { to: m.from }
    : m.from_user_id
      ? { recipient: m.from_user_id }
      : null;
  if (!address) return { ignore: 'no sender' };
  const event = eventOf(m);
  if ('ignore' in event) return event;
  return {
    user: m.from ?? `bsuid:${m.from_user_id}`,
    address,
    updateId: m.id,
    at: m.timestamp && m.timestamp > 0 ? m.timestamp * 1000 : undefined,
    event,
  };
}

function eventOf(m: CloudMessage): Event | Ignored {
  switch (m.type) {
    case 'text': {
      if (!m.text) return { ignore: 'text without a body' };
      const campaign = campaignOf(m);
      return campaign ? { text: m.text.body, campaign } : { text: m.text.body };
    }
    case 'interactive': {
      const reply = m.interactive?.button_reply ?? m.interactive?.list_reply;
      if (!reply) return { ignore: 'interactive message without a reply' };
      return choiceOf(reply.id, reply.title);
    }
    case 'button':
      if (!m.button) return { ignore: 'button without a payload' };
      return choiceOf(m.button.payload ?? '', m.button.text);
    case 'audio':
    case 'voice':
      return voiceOf(m);
    case 'request_welcome':
      // The person opened the chat for the first time and has not written yet.
      return { start: '' };
    case 'reaction':
      return { ignore: 'reaction' };
    case 'system':
      return { ignore: 'system notice' };
    default:
      return MEDIA.has(m.type) ? { media: m.type } : { ignore: 'unknown message type' };
  }
}

/** A voice note or audio file: its media id is what a relay to a person would fetch it by. */
function voiceOf(m: CloudMessage): Event {
  const media = m.type === 'voice' ? m.voice : m.audio;
  const kind = m.type === 'voice' || m.audio?.voice ? 'voice' : 'audio';
  const voice: VoiceNote = { kind };
  if (media?.id) voice.media = media.id.slice(0, 512);
  if (media?.mime_type) voice.mime = media.mime_type.slice(0, 100);
  return { voice };
}

/** A pressed button carries the option and its menu; a button of ours it cannot read counts as its words. */
function choiceOf(id: string, title: string): Event {
  const decoded = decodeChoice(id);
  if (!decoded || decoded.choice.length > 64) return { text: title };
  return decoded.at ? { choice: decoded.choice, at: decoded.at } : { choice: decoded.choice };
}

/**
 * A click on a click-to-WhatsApp ad (or post) names the ad: its id becomes the campaign tag, so
 * the report counts the people each ad brought. The click id that could follow a person is not kept.
 */
export function campaignOf(m: Pick<CloudMessage, 'referral'>): string | undefined {
  const r = m.referral;
  if (!r?.source_id) return undefined;
  const kind = (r.source_type ?? 'ad').replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'ad';
  const tag = `${kind}-${r.source_id.replace(/[^A-Za-z0-9-]/g, '')}`.slice(0, 40);
  return CampaignSchema.safeParse(tag).success ? tag : undefined;
}

export type CloudStatusKind = (typeof STATUSES)[number];

/** What happened to a message the bot sent, as the outbox reads it. */
export type CloudStatus = {
  /** The id the Cloud API gave the message when it was sent (wamid...). */
  messageId: string;
  status: CloudStatusKind;
  /** When it happened (ms), by WhatsApp's clock. */
  at?: number;
  errors: Array<{ code: number; title?: string }>;
};

/** Checks one status callback; statuses the bot does not track (e.g. "played") are ignored. */
export function convertCloudStatus(raw: unknown): CloudStatus | Ignored {
  const parsed = CloudStatusSchema.safeParse(raw);
  if (!parsed.success) return { ignore: 'malformed status' };
  const s = parsed.data;
  const status = STATUSES.find((k) => k === s.status);
  if (!status) return { ignore: 'untracked status' };
  const out: CloudStatus = {
    messageId: s.id,
    status,
    errors: (s.errors ?? []).map((e) => (e.title ? { code: e.code, title: e.title } : { code: e.code })),
  };
  if (s.timestamp && s.timestamp > 0) out.at = s.timestamp * 1000;
  return out;
}
