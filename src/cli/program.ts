import { Command } from 'commander';
import { configureErrors, listOptionsOnError } from './args.js';
import { registerBroadcast } from './broadcast.js';
import { registerChat } from './chat.js';
import { registerCheck } from './check.js';
import { registerContent } from './content.js';
import { registerEval } from './eval.js';
import { registerFaq } from './faq.js';
import { registerFlows } from './flows.js';
import { registerLinks } from './links.js';
import { registerReport } from './report.js';
import { registerStore } from './store.js';

/** Every command of `npm run cli`; tests walk it to check that each refuses bad values plainly. */
export function buildProgram(): Command {
  // Error handling first: commands registered afterwards inherit it.
  const program = configureErrors(
    new Command('puente').description('Puente: tools for the chat bot and its content'),
  );
  registerChat(program);
  registerCheck(program);
  registerContent(program);
  registerFlows(program);
  registerLinks(program);
  registerReport(program);
  registerFaq(program);
  registerEval(program);
  registerBroadcast(program);
  registerStore(program);
  listOptionsOnError(program);
  return program;
}
