import type { WaClient, WaMessage } from '../../src/channels/whatsapp/client.js';
import type { Clock } from '../../src/channels/whatsapp/pacer.js';

type Listener = (...args: never[]) => void;

/** What every fake client of one test records: what was sent, and which messages were deleted. */
export type FakeShared = {
  /** Texts, and voice notes with `voice` set to the file sent (their `text` is empty). */
  sent: Array<{ chatId: string; text: string; id?: string; voice?: string }>;
  deleted?: string[];
  /** Messages WhatsApp still has, by serialized id: every client of the account finds them. */
  kept?: Map<string, string>;
  /** Media of messages users sent (voice notes), base64 by serialized id, as downloadMedia gives it. */
  media?: Map<string, { data: string; mimetype: string }>;
  /** The message ids downloadMedia was asked for. */
  downloads?: string[];
};

let nextKey = 0xa000;

/** A stand-in for whatsapp-web.js: emits the same events and records what is sent and deleted. */
export class FakeWaClient implements WaClient {
  static all: FakeWaClient[] = [];
  readonly listeners = new Map<string, Listener[]>();
  readonly sent: Array<{ chatId: string; text: string; id: string; voice?: string }> = [];
  /** When set, sendVoice fails, as when WhatsApp refuses the media. */
  failVoice = false;
  destroyed = false;
  state: string | null = 'CONNECTED';
  /** When set, initialize() never settles, like a WhatsApp Web update breaking injection. */
  hang = false;

  constructor(private readonly shared: FakeShared) {
    FakeWaClient.all.push(this);
  }

  on(event: string, listener: Listener): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  emit(event: string, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => void)(...args);
  }

  async initialize(): Promise<void> {
    if (this.destroyed) throw new Error('a destroyed client was reused');
    if (this.hang) return new Promise<void>(() => undefined);
    this.emit('qr', 'fake-qr-code');
    this.emit('authenticated');
    this.emit('ready');
  }

  async sendMessage(chatId: string, text: string): Promise<string> {
    if (this.destroyed) throw new Error('sent through a destroyed client');
    // The real id has the same shape: "true_<chat>_<key>", and the chat part is the phone number.
    const id = `true_${chatId}_3EB0${(nextKey++).toString(16).toUpperCase()}`;
    this.shared.kept ??= new Map();
    this.shared.kept.set(id, text);
    this.sent.push({ chatId, text, id });
    this.shared.sent.push({ chatId, text, id });
    return id;
  }

  async sendVoice(chatId: string, file: string): Promise<string> {
    if (this.destroyed) throw new Error('sent through a destroyed client');
    if (this.failVoice) throw new Error('media upload failed');
    const id = `true_${chatId}_3EB0${(nextKey++).toString(16).toUpperCase()}`;
    this.shared.kept ??= new Map();
    this.shared.kept.set(id, '');
    this.sent.push({ chatId, text: '', id, voice: file });
    this.shared.sent.push({ chatId, text: '', id, voice: file });
    return id;
  }

  async downloadMedia(messageId: string): Promise<{ data: string; mimetype: string } | null> {
    if (this.destroyed) throw new Error('downloaded through a destroyed client');
    this.shared.downloads = [...(this.shared.downloads ?? []), messageId];
    return this.shared.media?.get(messageId) ?? null;
  }

  async deleteForEveryone(messageId: string): Promise<boolean> {
    if (this.destroyed) throw new Error('deleted through a destroyed client');
    if (!this.shared.kept?.delete(messageId)) return false;
    this.shared.deleted = [...(this.shared.deleted ?? []), messageId];
    return true;
  }

  async getState(): Promise<string | null> {
    return this.state;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
  }
}

let seq = 0;
export function waText(from: string, body: string, at = Date.now()): WaMessage {
  return {
    id: `false_${from}_${++seq}`,
    from,
    fromMe: false,
    body,
    type: 'chat',
    timestamp: Math.floor(at / 1000),
    isStatus: false,
  };
}

/**
 * A voice note recorded in the app ("ptt"), as whatsapp-web.js delivers it; with `bytes`, the
 * fake WhatsApp keeps its media for downloadMedia.
 */
export function waVoice(
  shared: FakeShared,
  from: string,
  bytes: Uint8Array | null,
  at = Date.now(),
): WaMessage {
  const id = `false_${from}_3A${(++seq).toString(16).toUpperCase()}F00D`;
  if (bytes) {
    shared.media ??= new Map();
    shared.media.set(id, { data: Buffer.from(bytes).toString('base64'), mimetype: 'audio/ogg; codecs=opus' });
  }
  return {
    id,
    from,
    fromMe: false,
    body: '',
    type: 'ptt',
    timestamp: Math.floor(at / 1000),
    isStatus: false,
    duration: 3,
  };
}

/** A clock that moves only when the test says so. */
export class FakeClock implements Clock {
  private t = 1_800_000_000_000;
  private timers: Array<{ at: number; resolve: () => void }> = [];
  readonly sleeps: number[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => this.timers.push({ at: this.t + ms, resolve }));
  }

  /** Moves time forward, waking sleepers in order, and lets their work run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = end;
    await flush();
  }
}

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
