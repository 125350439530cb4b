import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A file the bot uploaded: its name, size and hash, in place of the `attach://` reference. */
export type Upload = { filename: string; size: number; sha256: string };

/** One call the bot made; `messageId` is the id sendMessage answered with. */
export type Call = { method: string; params: Record<string, unknown>; at: number; messageId?: number };
type Failure = { error_code: number; description: string; parameters?: Record<string, unknown> };

/**
 * A local stand-in for the Telegram Bot API, speaking the methods the bot uses over real HTTP.
 * Updates are queued by the test and handed out by getUpdates, like Telegram's long polling.
 */
export class BotApiStandIn {
  readonly calls: Call[] = [];
  private readonly queue: unknown[] = [];
  private readonly failures = new Map<string, Failure[]>();
  private server?: Server;
  /** Message ids handed out by sendMessage, one more each time, as Telegram does in a chat. */
  private nextMessageId = 1000;
  private readonly deleted = new Set<string>();
  /** file_ids handed out for uploaded voice notes, and the upload each stands for. */
  readonly files = new Map<string, Upload>();
  /** file_ids of voice notes and audio users sent: the bot that received them may send them on. */
  readonly received = new Set<string>();
  private waiters: Array<() => void> = [];
  /** Chats whose sendMessage answers late, and chats that blocked the bot (403). */
  private readonly slowChats = new Map<number, number>();
  private readonly blockedChats = new Set<number>();
  /** Forum topics created in supergroups, by thread id, as Telegram numbers them. */
  readonly topics = new Map<number, { chatId: number; name: string; closed: boolean }>();
  private nextThreadId = 7;
  readonly token = '123456:TEST-token_standin';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters.splice(0)) w();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** The offset the bot last asked from: every update before it is confirmed. */
  confirmed = 0;

  /** Updates getUpdates has handed out: an offset past one confirms it. */
  private readonly handedOut = new Set<unknown>();

  private dropConfirmed(): void {
    const keep = this.queue.filter(
      (u) => !this.handedOut.has(u) || (u as { update_id: number }).update_id >= this.confirmed,
    );
    this.queue.splice(0, this.queue.length, ...keep);
  }

  /** Updates handed out or waiting, not yet confirmed by the bot. */
  get unconfirmed(): number {
    this.dropConfirmed();
    return this.queue.length;
  }

  /** The bot has confirmed this update (asked for updates past it). */
  isConfirmed(update: unknown): boolean {
    this.dropConfirmed();
    return this.handedOut.has(update) && !this.queue.includes(update);
  }

  push(...updates: unknown[]): void {
    for (const u of updates) {
      const m = (u as { message?: { voice?: { file_id?: string }; audio?: { file_id?: string } } }).message;
      const fileId = m?.voice?.file_id ?? m?.audio?.file_id;
      if (fileId) this.received.add(fileId);
    }
    this.queue.push(...updates);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Answers to `method` take this long (a slow or hanging Bot API). */
  readonly delays = new Map<string, number>();

  failNext(method: string, failure: Failure): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), failure]);
  }

  /** Answers to `method` wait for `until`: a call that stays in flight as long as the test wants. */
  private readonly holds = new Map<string, Promise<void>>();

  hold(method: string, until: Promise<void>): void {
    this.holds.set(method, until);
  }

  /** Calls to `method` fail as long as `down()` says so: an outage, however the test keeps time. */
  private readonly outages = new Map<string, { down: () => boolean; failure: Failure }>();

  failWhile(method: string, down: () => boolean, failure: Failure): void {
    this.outages.set(method, { down, failure });
  }

  /** sendMessage to this chat answers after `ms`: a reply that takes long to send. */
  slow(chatId: number, ms: number): void {
    this.slowChats.set(chatId, ms);
  }

  /** sendMessage to this chat fails with 403, as for a user who blocked the bot. */
  block(chatId: number): void {
    this.blockedChats.add(chatId);
  }

  /** What the bot wrote in one topic of a supergroup, in order. */
  inTopic(chatId: number, thread: number): string[] {
    return this.sent(chatId)
      .filter((c) => Number(c.params.message_thread_id) === thread)
      .map((c) => String(c.params.text));
  }

  sent(chatId?: number): Call[] {
    return this.calls.filter(
      (c) => c.method === 'sendMessage' && (chatId === undefined || c.params.chat_id === chatId),
    );
  }

  /** The sendVoice calls to a chat: `voice` is an Upload for a file sent, or the file_id string. */
  voices(chatId?: number): Call[] {
    return this.calls.filter(
      (c) => c.method === 'sendVoice' && (chatId === undefined || Number(c.params.chat_id) === chatId),
    );
  }

  /** The message ids deleteMessage was called with in a chat, in call order. */
  deletedIn(chatId: number): number[] {
    return this.calls
      .filter((c) => c.method === 'deleteMessage' && Number(c.params.chat_id) === chatId)
      .map((c) => Number(c.params.message_id));
  }

  /** Waits until `check` holds, polling the recorded calls. */
  async until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end)
        throw new Error(`timed out; calls: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async route(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const m = /^\/bot([^/]+)\/(\w+)/.exec(req.url ?? '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!m || m[1] !== this.token)
      return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!;
    const params = await readParams(req);
    const call: Call = { method, params, at: Date.now() };
    this.calls.push(call);
    const delay = this.delays.get(method);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    await this.holds.get(method);
    const outage = this.outages.get(method);
    const failure = this.failures.get(method)?.shift() ?? (outage?.down() ? outage.failure : undefined);
    if (failure) return reply(failure.error_code, { ok: false, ...failure });
    switch (method) {
      case 'getMe':
        return reply(200, {
          ok: true,
          result: {
            id: 42,
            is_bot: true,
            first_name: 'Puente',
            username: 'PuenteTestBot',
            can_join_groups: false,
            can_read_all_group_messages: false,
            supports_inline_queries: false,
          },
        });
      case 'getUpdates': {
        // As Telegram: asking from an offset confirms every update before it, and only those go.
        this.confirmed = Number(params.offset ?? 0);
        this.dropConfirmed();
        if (!this.queue.length) {
          const wait = Math.min(Number(params.timeout ?? 0), 0.3) * 1000;
          await new Promise<void>((r) => {
            const timer = setTimeout(r, wait);
            this.waiters.push(() => {
              clearTimeout(timer);
              r();
            });
          });
        }
        this.dropConfirmed();
        const batch = this.queue.slice(0, Number(params.limit ?? 100));
        for (const u of batch) this.handedOut.add(u);
        return reply(200, { ok: true, result: batch });
      }
      case 'sendMessage': {
        const chatId = Number(params.chat_id);
        const thread = params.message_thread_id === undefined ? undefined : Number(params.message_thread_id);
        if (chatId < 0 && thread !== undefined) {
          const topic = this.topics.get(thread);
          if (!topic || topic.chatId !== chatId)
            return reply(400, {
              ok: false,
              error_code: 400,
              description: 'Bad Request: message thread not found',
            });
          if (topic.closed)
            return reply(400, { ok: false, error_code: 400, description: 'Bad Request: TOPIC_CLOSED' });
        }
        if (this.blockedChats.has(chatId))
          return reply(403, {
            ok: false,
            error_code: 403,
            description: 'Forbidden: bot was blocked by the user',
          });
        if (this.slowChats.has(chatId)) await new Promise((r) => setTimeout(r, this.slowChats.get(chatId)));
        call.messageId = this.nextMessageId++;
        return reply(200, {
          ok: true,
          result: {
            message_id: call.messageId,
            date: 0,
            chat:
              chatId < 0
                ? { id: chatId, type: 'supergroup', title: 'Staff', is_forum: true }
                : { id: chatId, type: 'private' },
            ...(thread === undefined ? {} : { message_thread_id: thread, is_topic_message: true }),
            text: params.text,
          },
        });
      }
      case 'createForumTopic': {
        const chatId = Number(params.chat_id);
        if (chatId >= 0)
          return reply(400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: the chat is not a forum',
          });
        const thread = this.nextThreadId++;
        this.topics.set(thread, { chatId, name: String(params.name), closed: false });
        return reply(200, {
          ok: true,
          result: { message_thread_id: thread, name: params.name, icon_color: 7322096 },
        });
      }
      case 'closeForumTopic': {
        const topic = this.topics.get(Number(params.message_thread_id));
        if (!topic || topic.chatId !== Number(params.chat_id))
          return reply(400, { ok: false, error_code: 400, description: 'Bad Request: TOPIC_ID_INVALID' });
        topic.closed = true;
        return reply(200, { ok: true, result: true });
      }
      case 'sendVoice': {
        const voice = params.voice;
        let fileId: string;
        if (typeof voice === 'string') {
          // Telegram accepts only the file_ids it gave this bot.
          if (!this.files.has(voice) && !this.received.has(voice))
            return reply(400, {
              ok: false,
              error_code: 400,
              description: 'Bad Request: wrong file identifier/HTTP URL specified',
            });
          fileId = voice;
        } else if (voice && typeof voice === 'object') {
          fileId = `AwACAgEAAxkDAAI${this.files.size + 1}voice`;
          this.files.set(fileId, voice as Upload);
        } else {
          return reply(400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: there is no voice in the request',
          });
        }
        call.messageId = this.nextMessageId++;
        return reply(200, {
          ok: true,
          result: {
            message_id: call.messageId,
            date: 0,
            chat: { id: Number(params.chat_id), type: 'private' },
            voice: { file_id: fileId, file_unique_id: `u${fileId}`, duration: 1, mime_type: 'audio/ogg' },
          },
        });
      }
      case 'deleteMessage': {
        // Telegram refuses a message that does not exist (or was deleted already).
        const id = Number(params.message_id);
        if (this.deleted.has(`${params.chat_id}:${id}`))
          return reply(400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: message to delete not found',
          });
        this.deleted.add(`${params.chat_id}:${id}`);
        return reply(200, { ok: true, result: true });
      }
      case 'setMyCommands':
      case 'setMyDescription':
      case 'setMyShortDescription':
      case 'deleteWebhook':
      case 'setWebhook':
      case 'answerCallbackQuery':
      case 'editMessageReplyMarkup':
        return reply(200, { ok: true, result: true });
      default:
        return reply(404, { ok: false, error_code: 404, description: `Not Found: method ${method}` });
    }
  }
}

async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const type = req.headers['content-type'] ?? '';
  if (type.includes('multipart/form-data')) return readMultipart(Buffer.concat(chunks), type);
  const body = Buffer.concat(chunks).toString('utf8');
  if (!body) return {};
  if ((req.headers['content-type'] ?? '').includes('json'))
    return JSON.parse(body) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(body));
}

/**
 * A multipart body as grammY sends it when a file goes up: plain fields, and files under random
 * names that a field refers to as `attach://<name>`. Each reference becomes the file's Upload.
 */
function readMultipart(body: Buffer, type: string): Record<string, unknown> {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/.exec(type);
  const delimiter = Buffer.from(`--${m?.[1] ?? m?.[2] ?? ''}`);
  const fields: Record<string, string> = {};
  const files: Record<string, Upload> = {};
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const data = part.subarray(split + 4);
    const name = /name="([^"]+)"/.exec(head)?.[1];
    const filename = /filename="?([^";\r\n]+)"?/.exec(head)?.[1];
    if (name && filename)
      files[name] = { filename, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    else if (name) fields[name] = data.toString('utf8');
    at = next;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const ref = /^attach:\/\/(.+)$/.exec(value)?.[1];
    out[key] = ref && files[ref] ? files[ref] : value;
  }
  return out;
}

let nextUpdate = 1;
const baseUser = (id: number, lang = 'es') => ({
  id,
  is_bot: false,
  first_name: 'Test',
  language_code: lang,
});

/** A message update in a private chat, or in `chat` when given. */
function messageUpdate(
  userId: number,
  content: Record<string, unknown>,
  { lang = 'es', updateId = nextUpdate++, chat = { id: userId, type: 'private' } as object } = {},
) {
  return {
    update_id: updateId,
    message: { message_id: updateId, date: 0, chat, from: baseUser(userId, lang), ...content },
  };
}

export function textUpdate(userId: number, text: string, lang = 'es', updateId = nextUpdate++) {
  return messageUpdate(userId, { text }, { lang, updateId });
}

export function stickerUpdate(userId: number) {
  return messageUpdate(userId, {
    sticker: {
      file_id: 'x',
      file_unique_id: 'y',
      type: 'regular',
      width: 1,
      height: 1,
      is_animated: false,
      is_video: false,
    },
  });
}

/** A staff member's message in a supergroup, in a topic when `thread` is given. */
export function supergroupUpdate(
  chatId: number,
  fromId: number,
  text: string | Record<string, unknown>,
  thread?: number,
) {
  const id = nextUpdate++;
  return {
    update_id: id,
    message: {
      message_id: id,
      date: 0,
      chat: { id: chatId, type: 'supergroup', title: 'Staff', is_forum: true },
      from: baseUser(fromId),
      ...(thread === undefined ? {} : { message_thread_id: thread, is_topic_message: true }),
      ...(typeof text === 'string' ? { text } : text),
    },
  };
}

/** A voice note recorded in the app, as Telegram delivers it. */
export function voiceUpdate(userId: number, lang = 'es') {
  return messageUpdate(
    userId,
    {
      voice: {
        file_id: `AwACAgEAAxkBAAIvoice${userId}`,
        file_unique_id: 'AgADvoice',
        duration: 4,
        mime_type: 'audio/ogg',
      },
    },
    { lang },
  );
}

export function groupUpdate(userId: number, text: string) {
  return messageUpdate(userId, { text }, { chat: { id: -100, type: 'group', title: 'g' } });
}

export function callbackUpdate(userId: number, data: string, messageId: number) {
  const id = nextUpdate++;
  return {
    update_id: id,
    callback_query: {
      id: `cb${id}`,
      from: baseUser(userId),
      chat_instance: 'ci',
      data,
      message: { message_id: messageId, date: 0, chat: { id: userId, type: 'private' }, text: 'menu' },
    },
  };
}

/** The user blocked the bot (`kicked`) or unblocked it (`member`), as Telegram reports it. */
export function memberUpdate(userId: number, status: 'kicked' | 'member', chatType = 'private') {
  const id = nextUpdate++;
  const bot = { id: 42, is_bot: true, first_name: 'Puente', username: 'PuenteTestBot' };
  return {
    update_id: id,
    my_chat_member: {
      chat: { id: userId, type: chatType, first_name: 'Test' },
      from: baseUser(userId),
      date: 0,
      old_chat_member: { user: bot, status: status === 'kicked' ? 'member' : 'kicked' },
      new_chat_member: status === 'kicked' ? { user: bot, status, until_date: 0 } : { user: bot, status },
    },
  };
}
