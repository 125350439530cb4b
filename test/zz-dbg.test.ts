import { it } from 'vitest';
import { startTelegram } from '../src/channels/telegram/run.js';
import { createLogger } from '../src/runtime/log.js';
import { BotApiStandIn, textUpdate } from './support/bot-api-standin.js';
import { Harness } from './support/harness.js';

it('dbg', async () => {
  const api = new BotApiStandIn();
  const root = await api.start();
  const h = new Harness(
    { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root },
    { log: createLogger('debug') },
  );
  const ch = await startTelegram(h.app);
  api.push(textUpdate(501, '/start', 'es'));
  await new Promise((r) => setTimeout(r, 2000));
  console.log(api.calls.map((c) => c.method).join(','), h.app.bot.outbox.stats(Date.now()));
  await ch.stop();
  await api.stop();
  h.close();
});
