import { z } from 'zod';
import { LangSchema } from '../text/lang.js';
import { CampaignSchema } from './payload.js';

/** Where a user stands: a step of a flow. */
export const PositionSchema = z.object({ flow: z.string(), step: z.string() });
export type Position = z.infer<typeof PositionSchema>;

/** How a user said yes to news on a topic: a typed command, the offer after an answer, or help's menu. */
export const ConsentHowSchema = z.enum(['command', 'offer', 'help']);
export type ConsentHow = z.infer<typeof ConsentHowSchema>;

export const MenuPendingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('faq'), id: z.string() }),
  z.object({ kind: z.literal('suggest'), ids: z.array(z.string()) }),
  z.object({ kind: z.literal('end') }),
  /** Choosing a topic to get news on. */
  z.object({ kind: z.literal('topics'), how: ConsentHowSchema }),
  /** The yes/no question that comes before any subscription. */
  z.object({ kind: z.literal('subscribe'), topic: z.string(), how: ConsentHowSchema }),
  /** The list of the user's subscriptions, each with a way to leave it. */
  z.object({ kind: z.literal('subs') }),
  /** Asked whether staff may see the chat's recent messages before a person takes over. */
  z.object({ kind: z.literal('consent') }),
  /** A person is on it: what the user writes is relayed to staff. */
  z.object({ kind: z.literal('handoff') }),
]);

/**
 * Menus the engine builds itself, not from a flow file: after an FAQ answer, search suggestions,
 * and the emergency card, which keeps the menu it covers in `prior` so the user can go back to it.
 */
export const PendingSchema = z.union([
  MenuPendingSchema,
  z.object({ kind: z.literal('safety'), prior: MenuPendingSchema.nullable() }),
  /** The reply to a voice note: "talk to a person", or back to where the user was. */
  z.object({ kind: z.literal('voice'), prior: MenuPendingSchema.nullable() }),
]);
export type Pending = z.infer<typeof PendingSchema>;
export type MenuPending = z.infer<typeof MenuPendingSchema>;

export const SessionSchema = z.object({
  v: z.literal(1),
  lang: LangSchema.nullable(),
  /** The step the user is answering; null before the first menu and after a flow ends. */
  at: PositionSchema.nullable(),
  pending: PendingSchema.nullable(),
  /** Menus visited, newest last, for "back". */
  history: z.array(PositionSchema),
  vars: z.record(z.string(), z.string()),
  campaign: z.string().nullable(),
  /** Set while a conversation with a person is open; `relayed` once the first message went to staff. */
  handoff: z.object({ since: z.number(), relayed: z.boolean() }).optional(),
  /** Free-text questions without an answer in a row, for offering a person. */
  misses: z.number().int().min(0).optional(),
  /** The user's own choice of recorded answers ("audio on" / "audio off"); unset until they make one. */
  audio: z.boolean().optional(),
  /** The user has sent a voice note: recorded answers are on for them until they say otherwise. */
  voice: z.literal(true).optional(),
});
export type Session = z.infer<typeof SessionSchema>;

export function newSession(lang: Session['lang'] = null): Session {
  return { v: 1, lang, at: null, pending: null, history: [], vars: {}, campaign: null };
}

/**
 * A voice note or audio file the user sent. The engine only answers it; `media` and the rest are
 * what a relay to a person needs to fetch it from the channel, and are never stored.
 */
export const VoiceNoteSchema = z.strictObject({
  /** "voice" for a note recorded in the app, "audio" for an audio file. */
  kind: z.enum(['voice', 'audio']),
  /** The channel's own reference: Telegram's file_id, WhatsApp Web's message id, the Cloud API's media id. */
  media: z.string().min(1).max(512).optional(),
  seconds: z.number().min(0).optional(),
  mime: z.string().max(100).optional(),
});
export type VoiceNote = z.infer<typeof VoiceNoteSchema>;

/** What a channel hands to the engine. */
export const EventSchema = z.union([
  /** `campaign`: the channel knows where the user came from, e.g. an ad they clicked. */
  z.strictObject({ text: z.string(), campaign: CampaignSchema.optional() }),
  z.strictObject({ choice: z.string().min(1).max(64), at: PositionSchema.optional() }),
  z.strictObject({ start: z.string().max(64) }),
  /** A photo, voice note, sticker, location or file: the bot reads text only. */
  z.strictObject({ media: z.string().max(32) }),
  /** From the host, not the user: staff closed the conversation, or it was idle too long. */
  z.strictObject({ handoff: z.enum(['staff-close', 'idle-close']) }),
  z.strictObject({ voice: VoiceNoteSchema }),
]);
export type Event = z.infer<typeof EventSchema>;

export const OptionOutSchema = z.object({ id: z.string(), label: z.string() });
export type OptionOut = z.infer<typeof OptionOutSchema>;

/** One outgoing message, channel-neutral. `text` uses *bold* and _italic_; `\` escapes user text. */
export const OutMessageSchema = z.object({
  text: z.string(),
  options: z.array(OptionOutSchema),
  flow: z.string().nullable(),
  step: z.string().nullable(),
  faq: z.string().optional(),
  /** Only on the emergency card: channels and the console transcript mark it. */
  safety: z.literal(true).optional(),
  /**
   * The options are buttons beside a message that is followed by a menu: channels that number
   * options in the text (WhatsApp Web, the console) leave them out, so numbers mean the menu's.
   */
  buttonsOnly: z.literal(true).optional(),
  /** A recording to send as a voice note after the text, relative to data/: `audio/<id>.<lang>.ogg`. */
  audio: z.string().optional(),
});
export type OutMessage = z.infer<typeof OutMessageSchema>;

/** Things the host must do after the turn; the engine itself touches nothing. */
export const EffectSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('forget') }),
  /** Quick exit: the channel deletes the chat's recent messages, where it can. */
  z.object({ type: z.literal('erase') }),
  z.object({
    type: z.literal('metric'),
    name: z.enum([
      'conversation_started',
      'flow_started',
      'flow_completed',
      'faq_shown',
      'safety_card',
      'voice_note',
    ]),
    flow: z.string().optional(),
    faq: z.string().optional(),
  }),
  z.object({ type: z.literal('feedback'), faq: z.string(), helpful: z.boolean() }),
  /** The user said yes to news on a topic; the host records the consent in the turn's transaction. */
  z.object({ type: z.literal('subscribe'), topic: z.string(), how: ConsentHowSchema }),
  z.object({ type: z.literal('unsubscribe'), topic: z.string() }),
  z.object({ type: z.literal('unanswered'), lang: LangSchema, query: z.string() }),
  /** A person is asked for: the host opens a conversation in the staff inbox. */
  z.object({
    type: z.literal('handoff.open'),
    lang: LangSchema,
    history: z.boolean(),
    outOfHours: z.boolean(),
  }),
  /** What the user wrote, for the host to pass on to staff; it is never stored. */
  z.object({ type: z.literal('handoff.relay-in'), text: z.string() }),
  /**
   * A voice note the user sent, for the host to pass on to staff as audio: the channel's reference
   * to fetch it by, never stored.
   */
  z.object({ type: z.literal('handoff.relay-voice'), voice: VoiceNoteSchema }),
  /** The conversation with a person ends: the user went back to the bot, left, staff closed it, or it was idle. */
  z.object({ type: z.literal('handoff.close'), reason: z.enum(['user', 'left', 'staff', 'idle']) }),
  z.object({
    type: z.literal('log'),
    level: z.enum(['warn', 'error']),
    code: z.string(),
    flow: z.string().optional(),
    step: z.string().optional(),
  }),
]);
export type Effect = z.infer<typeof EffectSchema>;

export type TurnResult = {
  /** null when the user asked to be forgotten. */
  session: Session | null;
  messages: OutMessage[];
  effects: Effect[];
};
