/**
 * What a staff member did in a conversation's place in the inbox: wrote text, sent something
 * that is not text (a photo, a file), or closed it with the inbox's own controls.
 */
export type StaffMessage =
  | { ref: string; text: string }
  | { ref: string; media: true }
  | { ref: string; closed: true };

/** What staff see when a conversation opens: a pseudonymous name and the first notes. */
export type InboxOpen = { name: string };

/**
 * Where staff answer users. The Telegram supergroup with topics is the first implementation; a
 * Chatwoot Agent Bot would be another (see "Talk to a person" in the README). Texts given to an
 * inbox are final: written in the staff's language, with *bold* and _italic_ markup (`notify`,
 * `close`), or the user's own words, passed on as plain text (`relayIn`).
 */
export interface Inbox {
  /** Opens a conversation; returns the inbox's reference for it (a topic id). */
  open(conversation: InboxOpen): Promise<string>;
  /** A user's words, into their conversation. */
  relayIn(ref: string, text: string): Promise<void>;
  /** A note from the bot to staff in a conversation. */
  notify(ref: string, text: string): Promise<void>;
  /** Staff's words to users come through this handler: the host sends them on. */
  relayOut(handler: (message: StaffMessage) => Promise<void>): void;
  /** Ends a conversation with a last note to staff. */
  close(ref: string, text: string): Promise<void>;
}
