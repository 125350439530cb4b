import { runInteractiveChat } from './channels/console.js';
import { fail } from './cli/shared.js';
import { loadConfig } from './config/env.js';
import { createApp } from './runtime/app.js';

/** `npm start`: the configured channels, or the console chat when none is configured. */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = createApp(config);
  await runInteractiveChat(app.bot, { user: 'console' }, process.stdin, process.stdout);
  app.bot.close();
}

main().catch(fail);
