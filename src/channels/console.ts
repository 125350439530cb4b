import { createInterface } from 'node:readline';
import type { LangHint } from '../engine/context.js';
import type { OutMessage } from '../engine/types.js';
import type { Bot, Reply } from '../runtime/bot.js';
import type { Lang } from '../text/lang.js';
import { convertToPlain, numberedMenu } from './render.js';

export const CONSOLE_CHANNEL = 'console';

export type ConsoleOptions = { user: string; lang?: Lang; start?: string };

/** One line of the JSON transcript: the contract that tests, tools and adapters share. */
export type TranscriptLine = {
  text: string;
  options: Array<{ id: string; label: string }>;
  lang: Lang;
  flow: string | null;
  step: string | null;
  faq?: string;
  /** Only on the emergency card. */
  safety?: true;
  /** The recording sent as a voice note after the text, relative to data/. */
  audio?: string;
};

export function convertToTranscript(message: OutMessage, lang: Lang): TranscriptLine {
  const line: TranscriptLine = {
    text: convertToPlain(message.text),
    options: message.options.map((o) => ({ id: o.id, label: o.label })),
    lang,
    flow: message.flow,
    step: message.step,
  };
  if (message.faq) line.faq = message.faq;
  if (message.safety) line.safety = true;
  if (message.audio) line.audio = message.audio;
  return line;
}

/** A console chat user: `--lang` is the user's own choice, so it is a sure hint. */
export class ConsoleUser {
  private readonly hint: LangHint | undefined;

  constructor(
    private readonly bot: Bot,
    private readonly options: ConsoleOptions,
  ) {
    this.hint = options.lang ? { lang: options.lang, sure: true } : undefined;
  }

  start(payload: string): Promise<Reply> {
    return this.bot.handle({
      channel: CONSOLE_CHANNEL,
      user: this.options.user,
      event: { start: payload },
      hint: this.hint,
    });
  }

  say(text: string): Promise<Reply> {
    return this.bot.handle({
      channel: CONSOLE_CHANNEL,
      user: this.options.user,
      event: { text },
      hint: this.hint,
    });
  }
}

/** Reads one user message per line and writes one JSON object per bot message. */
export async function runJsonChat(
  bot: Bot,
  options: ConsoleOptions,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<void> {
  const user = new ConsoleUser(bot, options);
  const write = (reply: Reply) => {
    for (const m of reply.messages) output.write(`${JSON.stringify(convertToTranscript(m, reply.lang))}\n`);
  };
  if (options.start) write(await user.start(options.start));
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  for await (const line of rl) write(await user.say(line));
}

/** The chat a newcomer sees first: `npm start` with no channel configured. */
export async function runInteractiveChat(
  bot: Bot,
  options: ConsoleOptions,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<void> {
  const user = new ConsoleUser(bot, options);
  const show = (reply: Reply) => {
    for (const m of reply.messages) {
      output.write(`\n${numberedMenu(convertToPlain(m.text), m.buttonsOnly ? [] : m.options)}\n`);
      // The console cannot play it: it names the file the apps would receive.
      if (m.audio) output.write(`🔊 data/${m.audio}\n`);
    }
  };
  const rl = createInterface({ input, output, terminal: Boolean((input as NodeJS.ReadStream).isTTY) });
  rl.setPrompt('\n> ');
  show(await (options.start ? user.start(options.start) : user.say('')));
  rl.prompt();
  for await (const line of rl) {
    show(await user.say(line));
    rl.prompt();
  }
}
