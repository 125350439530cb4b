import pg from 'pg';
import { newSession } from '../src/engine/types.js';

/** The server the benchmark uses: BENCH_DATABASE_URL, TEST_DATABASE_URL, or the local one. */
export const BENCH_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

/** A schema of its own, dropped at the end, so that the benchmark never meets other data. */
export async function benchSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `puente_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  const url = new URL(BENCH_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.href,
    drop: async () => {
      const d = new pg.Client({ connectionString: BENCH_DATABASE_URL });
      await d.connect();
      await d.query(`DROP SCHEMA ${schema} CASCADE`);
      await d.end();
    },
  };
}

/**
 * The baseline: the least a PostgreSQL session store can do per turn, a raw pg upsert of a
 * session-sized row, one transaction per upsert (BEGIN, upsert, COMMIT), one after the other.
 */
export async function pgUpserts(url: string, n: number, users: number, first = 0): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS raw_sessions (key text PRIMARY KEY, state text NOT NULL, updated_at bigint NOT NULL)',
    );
    const state = JSON.stringify({
      ...newSession('es'),
      at: { flow: 'labor', step: 'topics' },
      history: [{ flow: 'main', step: 'home' }],
    });
    const c = await pool.connect();
    try {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        await c.query('BEGIN');
        await c.query(
          `INSERT INTO raw_sessions (key, state, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
          [`u${first + (i % users)}`, state, Date.now()],
        );
        await c.query('COMMIT');
      }
      return n / ((performance.now() - t0) / 1000);
    } finally {
      c.release();
    }
  } finally {
    await pool.end();
  }
}
