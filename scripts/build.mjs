// Compiles src/ to dist/ with esbuild, one file per module, so that `npm start` needs no
// development tool: esbuild is a dependency, and it takes a fraction of a second. Types are
// checked by `npm test` (tsc), not here.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/**/*.ts'],
  outdir: 'dist',
  outbase: 'src',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
