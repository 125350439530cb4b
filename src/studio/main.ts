import { serve } from '@hono/node-server';
import { fail } from '../cli/shared.js';
import { loadConfig } from '../config/env.js';
import { studioAddress } from './address.js';
import { createStudio } from './server.js';

/** `npm run studio`: the preview page for staff, on STUDIO_HOST:STUDIO_PORT. */
function main(): void {
  const config = loadConfig();
  const studio = createStudio(config);
  const server = serve(
    { fetch: studio.app.fetch, port: config.STUDIO_PORT, hostname: config.STUDIO_HOST },
    (info) => {
      process.stdout.write(
        `Puente studio: ${studioAddress(config.STUDIO_HOST, info.port, config.STUDIO_TOKEN)}\n`,
      );
    },
  );
  const stop = () => {
    server.close();
    studio.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

try {
  main();
} catch (e) {
  fail(e);
}
