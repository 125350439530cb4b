import type { OutMessage, VoiceNote } from '../engine/types.js';
import type { Lang } from '../text/lang.js';
import type { VoiceAudio } from './inbox.js';

/**
 * How a relay went: sent, or held by the channel (WhatsApp's 24-hour window), with or without a
 * template asking the user to write back.
 */
export type RelayOutcome = 'sent' | 'held' | 'held-template';

/**
 * Sends messages to one user of a channel, outside a turn of theirs. A channel that holds them
 * calls `delivered` once the held messages have gone (the user wrote again), when it can tell.
 */
export type UserSend = (
  user: string,
  messages: OutMessage[],
  lang: Lang,
  delivered?: () => void,
) => Promise<RelayOutcome>;

/** How a channel lets the inbox fetch a user's voice note, by the reference it gave the engine. */
export type VoiceSource = (user: string, voice: VoiceNote & { media: string }) => VoiceAudio;

/**
 * The one door through which staff's words reach users: each channel registers how it sends to
 * a user (a write to its outbox, drained by its sender), and the handoff host sends only through here.
 */
export class UserRelay {
  private readonly senders = new Map<string, UserSend>();
  private readonly voices = new Map<string, VoiceSource>();

  register(channel: string, send: UserSend): void {
    this.senders.set(channel, send);
  }

  /** A channel that can hand over its users' voice notes registers how. */
  registerVoice(channel: string, source: VoiceSource): void {
    this.voices.set(channel, source);
  }

  /** A user's voice note as the inbox can get it, or null when the channel cannot give it. */
  voice(channel: string, user: string, voice: VoiceNote): VoiceAudio | null {
    const source = this.voices.get(channel);
    return source && voice.media ? source(user, { ...voice, media: voice.media }) : null;
  }

  has(channel: string): boolean {
    return this.senders.has(channel);
  }

  async send(
    channel: string,
    user: string,
    messages: OutMessage[],
    lang: Lang,
    delivered?: () => void,
  ): Promise<RelayOutcome> {
    const send = this.senders.get(channel);
    if (!send) throw new Error(`no sender for channel "${channel}": is the channel running?`);
    return messages.length ? send(user, messages, lang, delivered) : 'sent';
  }
}
