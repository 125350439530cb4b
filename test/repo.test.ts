import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../src/config/env.js';

/** A user's clone has nothing beside it: no file of the repository may reach outside it. */
describe('the repository is self-contained', () => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
    .toString()
    .split('\n')
    .filter((f) => /\.(ts|js|mjs|cjs|json|ya?ml|sh)$/.test(f) || f === '.ci/run');

  it('has no path that climbs out of the repository root', () => {
    const outside = [
      /\.\.\/shared\b/, // the sibling folder some checkouts have
      /['"]\.\.['"]\s*,\s*['"]shared['"]/,
      /\b(?:ROOT|root|repoRoot)\s*,\s*['"]\.\.['"]/, // join(ROOT, '..')
      /import\.meta\.dirname\s*,\s*['"]\.\.['"]\s*,\s*['"]\.\.['"]/, // two levels up from test/
    ];
    const hits: string[] = [];
    for (const file of files) {
      if (file === 'test/repo.test.ts') continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const pattern of outside) if (pattern.test(text)) hits.push(`${file}: ${pattern}`);
    }
    expect(hits).toEqual([]);
    expect(files.length).toBeGreaterThan(100);
  });

  it('keeps the content guide the tests read inside the repository', () => {
    const guide = readFileSync(join(ROOT, 'docs', 'content-guide.md'), 'utf8');
    expect([...guide.matchAll(/^\| ([a-z]+\.[a-z-]+) \|/gm)]).toHaveLength(28);
  });
});
