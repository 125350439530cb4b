import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { broadcastChannels } from '../broadcast/channels.js';
import { composeBroadcast, readMessageFile } from '../broadcast/message.js';
import type { BroadcastStore } from '../broadcast/store.js';
import { convertMessageToTelegram } from '../channels/telegram/convert.js';
import { convertMessageToWhatsApp } from '../channels/whatsapp/convert.js';
import { type Config, loadConfig } from '../config/env.js';
import { formatProblem, hasErrors } from '../content/problems.js';
import { createI18n } from '../i18n/i18n.js';
import { loadLocales } from '../i18n/locales.js';
import type { Store } from '../store/contract.js';
import { openStore } from '../store/open.js';
import { loadTopics, topicList } from '../subscriptions/topics.js';
import { LANGS } from '../text/lang.js';
import { usageError } from './args.js';
import { fail, writeJson } from './shared.js';

function parseId(value: string): number {
  if (!/^\d{1,12}$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('Use the number `broadcast create` printed, e.g. 3.');
  return Number(value);
}

/** Runs with the configured store (DATABASE_URL, else the SQLite file), closed after. */
async function withStore<T>(run: (store: Store, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = await openStore(config);
  try {
    return await run(store, config);
  } finally {
    await store.close();
  }
}

async function found(store: BroadcastStore, id: number) {
  const b = await store.get(id);
  if (!b)
    usageError(`argument 'id' is invalid: there is no broadcast ${id}. \`cli report\` lists the broadcasts.`);
  return b;
}

export function registerBroadcast(program: Command): void {
  const broadcast = program
    .command('broadcast')
    .description('news for people who asked for it: create, preview, send, follow and cancel broadcasts');

  broadcast
    .command('create')
    .description('make a broadcast from a message file (es/en/ht); prints its id on the last line')
    .requiredOption('--topic <topic>', 'a topic of data/topics.yaml, e.g. covid')
    .requiredOption('--file <file>', 'a YAML file with es:, en: and ht: texts')
    .option('--allow-missing', 'a language without a text gets the Spanish text with a note')
    .option('--json', 'print {"id": …}')
    .action(async (opts: { topic: string; file: string; allowMissing?: boolean; json?: boolean }) => {
      try {
        const config = loadConfig();
        const { topics } = loadTopics(config.paths.topics, config.paths.root, new Set());
        const ids = topicList(topics).map((t) => t.id);
        if (!ids.includes(opts.topic))
          usageError(
            `option '--topic <topic>' argument '${opts.topic}' is invalid. Topics: ${ids.join(', ') || 'none (add them to data/topics.yaml)'}.`,
          );
        // Paths are where staff ran the command, not where npm runs it.
        const file = resolve(process.env.INIT_CWD ?? process.cwd(), opts.file);
        if (!existsSync(file))
          usageError(`option '--file <file>' argument '${opts.file}' is invalid. There is no such file.`);
        const read = readMessageFile(file, opts.file, Boolean(opts.allowMissing));
        for (const p of read.problems) process.stderr.write(`${formatProblem(p)}\n`);
        if (hasErrors(read.problems)) {
          process.stderr.write('The broadcast was not created: fix the file and run the command again.\n');
          process.exit(1);
        }
        const id = await withStore((store) => store.broadcasts.create(opts.topic, read.texts, read.missing));
        if (opts.json) writeJson({ id });
        else
          process.stdout.write(`Broadcast created for "${opts.topic}". Preview it, then send it:\n${id}\n`);
      } catch (e) {
        fail(e);
      }
    });

  broadcast
    .command('preview')
    .description('show the message in every language, as Telegram and WhatsApp show it')
    .argument('<id>', 'the broadcast id', parseId)
    .action(async (id: number) => {
      try {
        const config = loadConfig();
        const b = await withStore((store) => found(store.broadcasts, id));
        const { t } = createI18n(loadLocales(config.paths.locales, config.paths.root).locales, []);
        const out: string[] = [`Broadcast ${b.id} · topic ${b.topic} · ${b.status}`];
        for (const lang of LANGS) {
          const text = composeBroadcast(b, lang, t);
          const message = { text, options: [], flow: null, step: null };
          const note = b.missing.includes(lang) ? ' (no text: Spanish with a note)' : '';
          out.push('', `=== ${lang}${note} · Telegram (HTML) ===`);
          out.push(
            convertMessageToTelegram(message)
              .map((m) => m.text)
              .join('\n--- next message ---\n'),
          );
          out.push('', `=== ${lang}${note} · WhatsApp ===`);
          out.push(convertMessageToWhatsApp(message).join('\n--- next message ---\n'));
        }
        out.push(
          '',
          'WhatsApp Cloud API: subscribers outside the 24-hour window get the approved "update" template of data/templates.yaml instead.',
        );
        process.stdout.write(`${out.join('\n')}\n`);
      } catch (e) {
        fail(e);
      }
    });

  broadcast
    .command('send')
    .description('queue the broadcast; the running bot sends it (--dry-run: the counts only)')
    .argument('<id>', 'the broadcast id', parseId)
    .option('--dry-run', 'print how many subscribers would get it, per channel and language; send nothing')
    .action(async (id: number, opts: { dryRun?: boolean }) => {
      try {
        await withStore(async ({ broadcasts: store, subscriptions }, config) => {
          const b = await found(store, id);
          if (b.status !== 'draft')
            usageError(
              `argument 'id' is invalid: broadcast ${id} is ${b.status}, not a draft. \`cli broadcast status ${id}\` follows it.`,
            );
          const rows = await subscriptions.audience(b.topic);
          const on = broadcastChannels(config);
          if (opts.dryRun) {
            const lines = rows.map(
              (r) =>
                `${r.channel}\t${r.lang}\t${r.count}${on.has(r.channel) ? '' : '\t(not sent: broadcasts are off on this channel)'}`,
            );
            const total = rows.filter((r) => on.has(r.channel)).reduce((n, r) => n + r.count, 0);
            process.stdout.write(
              `${['channel\tlang\tsubscribers', ...lines].join('\n')}\nwould send ${total} message(s) for "${b.topic}"; nothing was sent.\n`,
            );
            return;
          }
          await store.queue(id);
          process.stdout.write(
            `Broadcast ${id} is queued. The running bot (npm start) sends it; follow it with: npm run cli -- broadcast status ${id} --follow\n`,
          );
        });
      } catch (e) {
        fail(e);
      }
    });

  broadcast
    .command('status')
    .description('queued, sent, failed, blocked, and replies within 24 hours')
    .argument('<id>', 'the broadcast id', parseId)
    .option('--json', 'print {"queued", "sent", "failed", "blocked", "replies"}')
    .option('--follow', 'show a progress bar until the broadcast is done')
    .action(async (id: number, opts: { json?: boolean; follow?: boolean }) => {
      try {
        await withStore(async ({ broadcasts: store }) => {
          await found(store, id);
          if (opts.follow) await follow(store, id);
          const figures = await store.figures(id);
          if (opts.json) writeJson(figures);
          else {
            const b = (await store.get(id))!;
            process.stdout.write(
              `Broadcast ${id} (${b.topic}): ${b.status}\nqueued ${figures.queued}, sent ${figures.sent}, failed ${figures.failed}, blocked ${figures.blocked}, replies within 24 h ${figures.replies}\n`,
            );
          }
        });
      } catch (e) {
        fail(e);
      }
    });

  broadcast
    .command('cancel')
    .description('stop a broadcast: messages not sent yet are never sent')
    .argument('<id>', 'the broadcast id', parseId)
    .action(async (id: number) => {
      try {
        await withStore(async ({ broadcasts: store }) => {
          const b = await found(store, id);
          if (!(await store.cancel(id)))
            usageError(`argument 'id' is invalid: broadcast ${id} is ${b.status} and cannot be cancelled.`);
          const f = await store.figures(id);
          process.stdout.write(`Broadcast ${id} is cancelled; ${f.sent} message(s) had been sent.\n`);
        });
      } catch (e) {
        fail(e);
      }
    });
}

const BAR = 30;

/** Redraws a bar on stderr (stdout stays for the figures) until the broadcast is done or cancelled. */
async function follow(store: BroadcastStore, id: number): Promise<void> {
  const tty = process.stderr.isTTY;
  let last = '';
  for (;;) {
    const b = (await store.get(id))!;
    const f = await store.figures(id);
    const settled = f.sent + f.failed + f.blocked;
    const total = settled + f.queued;
    const share = total ? settled / total : b.status === 'done' ? 1 : 0;
    const filled = Math.round(share * BAR);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${settled}/${total} sent ${f.sent} failed ${f.failed} blocked ${f.blocked} · ${b.status}`;
    if (line !== last) process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    last = line;
    if (b.status === 'done' || b.status === 'cancelled') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (tty) process.stderr.write('\n');
}
