import { Command } from 'commander';
import { registerChat } from './chat.js';

const program = new Command('puente').description('Puente: tools for the chat bot and its content');
registerChat(program);

await program.parseAsync(process.argv);
