import { commanderExitCode } from './args.js';
import { buildProgram } from './program.js';
import { fail } from './shared.js';

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  const code = commanderExitCode(e);
  if (code === null) fail(e);
  // Commander has already printed the one line that says what is wrong.
  process.exit(code);
}
