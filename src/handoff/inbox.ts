/**
 * What a staff member did in a conversation's place in the inbox: wrote text, sent something
 * that is not text (a photo, a file), or closed it with the inbox's own controls.
 */
export type StaffMessage =
  | { ref: string; text: string }
  | { ref: string; media: true }
  | { ref: string; closed: true };

/** A recording fetched from the user's channel: in memory only, never written to disk. */
export type AudioBytes = { bytes: Uint8Array; mime: string };

/** A user's voice note (or audio file), as an inbox can get it. */
export type VoiceAudio = {
  kind: 'voice' | 'audio';
  seconds?: number;
  /**
   * Telegram's file_id, when the user wrote to the bot that also runs the Telegram staff group:
   * that bot can send the same file on by its id, without a download.
   */
  telegramFileId?: string;
  /** Fetches the recording from the user's channel. */
  fetch(): Promise<AudioBytes>;
};

/** What staff see when a conversation opens: a pseudonymous name and the first notes. */
export type InboxOpen = { name: string };

/**
 * Where staff answer users. The Telegram supergroup with topics is the first implementation; a
 * Chatwoot Agent Bot would be another (see "Talk to a person" in the README). Texts given to an
 * inbox are final: written in the staff's language, with *bold* and _italic_ markup (`notify`,
 * `close`), or the user's own words, passed on as plain text (`relayIn`) or as audio (`relayVoice`).
 */
export interface Inbox {
  /** Opens a conversation; returns the inbox's reference for it (a topic id). */
  open(conversation: InboxOpen): Promise<string>;
  /** A user's words, into their conversation. */
  relayIn(ref: string, text: string): Promise<void>;
  /** A user's voice note, into their conversation, as audio. */
  relayVoice(ref: string, audio: VoiceAudio): Promise<void>;
  /** A note from the bot to staff in a conversation. */
  notify(ref: string, text: string): Promise<void>;
  /** Staff's words to users come through this handler: the host sends them on. */
  relayOut(handler: (message: StaffMessage) => Promise<void>): void;
  /** Ends a conversation with a last note to staff. */
  close(ref: string, text: string): Promise<void>;
}
