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

export function isStoreError(e: unknown): boolean {
  return (
    e instanceof StoreFault ||
    e instanceof Database.SqliteError ||
    (e instanceof TypeError && /database connection is not open/.test(e.message))
  );
}

export function storeFaultCode(e: unknown): string {
  if (e instanceof StoreFault) return e.code;
  if (e instanceof Database.SqliteError) return e.code;
  return 'SQLITE_CLOSED';
}
