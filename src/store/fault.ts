import Database from 'better-sqlite3';

/**
 * A turn that could not commit because of the store itself (a full disk, a read-only file, a
 * lock held past the busy timeout, a broken file), not because of the message.
 */
export class StoreFault extends Error {
  override name = 'StoreFault';
  constructor(
    readonly code: string,
    cause: unknown,
  ) {
    super(`the store cannot commit (${code})`, { cause });
  }
}

/** Node's socket errors: a PostgreSQL server that went away or cannot be reached. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * SQLSTATE classes that say the server cannot commit, whatever the message: connection (08),
 * resources such as a full disk (53), operator intervention (57), system errors (58); and a
 * server in read-only mode (25006). pg is loaded only with PostgreSQL, so its errors are
 * recognised by their shape.
 */
function pgFault(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') {
    // pg's own words for a connection that ended or a pool that was closed.
    return /Connection terminated|Cannot use a pool after calling end|timeout exceeded when trying to connect/.test(
      e.message,
    )
      ? 'PG_CONNECTION'
      : null;
  }
  if (NETWORK.has(code)) return `PG_${code}`;
  if ('severity' in e && /^[0-9A-Z]{5}$/.test(code)) {
    if (code === '25006' || /^(08|53|57|58)/.test(code)) return `PG_${code}`;
  }
  return null;
}

export function isStoreError(e: unknown): boolean {
  return (
    e instanceof StoreFault ||
    e instanceof Database.SqliteError ||
    (e instanceof TypeError && /database connection is not open/.test(e.message)) ||
    pgFault(e) !== null
  );
}

export function storeFaultCode(e: unknown): string {
  if (e instanceof StoreFault) return e.code;
  if (e instanceof Database.SqliteError) return e.code;
  const pg = pgFault(e);
  if (pg) return pg;
  if (e instanceof TypeError && /database connection is not open/.test(e.message)) return 'SQLITE_CLOSED';
  return 'unknown';
}
