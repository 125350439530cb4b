import { Command } from 'commander';
import { registerChat } from './chat.js';
import { registerCheck } from './check.js';
import { registerContent } from './content.js';
import { registerEval } from './eval.js';
import { registerFaq } from './faq.js';
import { registerFlows } from './flows.js';
import { registerLinks } from './links.js';
import { registerReport } from './report.js';

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command('puente').description('Puente: tools for the chat bot and its content');
registerChat(program);
registerCheck(program);
registerContent(program);
registerFlows(program);
registerLinks(program);
registerReport(program);
registerFaq(program);
registerEval(program);

await program.parseAsync(process.argv);
