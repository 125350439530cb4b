import type { Command } from 'commander';
import { runInteractiveChat, runJsonChat } from '../channels/console.js';
import type { Lang } from '../text/lang.js';
import { langOption, parsePayloadArg } from './args.js';
import { fail, openApp } from './shared.js';

export function registerChat(program: Command): void {
  program
    .command('chat')
    .description('chat with the bot in the terminal; with --json, one JSON object per bot message')
    .option('--json', 'read one message per line from stdin, print one JSON line per bot message')
    .addOption(langOption("the user's language"))
    .option('--user <id>', 'the user to chat as; the session persists in the database', 'console')
    .option(
      '--start <payload>',
      'start as a deep link would, e.g. ht_labor or es_covid_leader1',
      parsePayloadArg,
    )
    .action(async (opts: { json?: boolean; lang?: Lang; user: string; start?: string }) => {
      try {
        const app = openApp();
        const options = { user: opts.user, lang: opts.lang, start: opts.start };
        if (opts.json) await runJsonChat(app.bot, options, process.stdin, process.stdout);
        else await runInteractiveChat(app.bot, options, process.stdin, process.stdout);
        app.close();
      } catch (e) {
        fail(e);
      }
    });
}
