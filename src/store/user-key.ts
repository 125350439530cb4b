import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../config/env.js';
import { type Db, deleteMeta, getMeta, wipeWal } from './sqlite/db.js';

/** Where older versions kept a generated salt: in the database itself, beside the keys it protects. */
const LEGACY_SALT = 'user_key_salt';
const MIN_SECRET_BYTES = 16;

export type SecretSource = {
  /** USER_KEY_SECRET (or its old name USER_KEY_SALT), when set. */
  configured?: string;
  /** The key file, used when no secret is configured; made at first start. */
  file: string;
};

/**
 * The secret of the user keys, which never lives in the database: a copy of the database alone
 * cannot turn a key back into a phone number by hashing every number. A salt that an older
 * version kept in the database moves to the key file, so existing users keep their sessions.
 */
export function loadUserKeySecret(db: Db | null, source: SecretSource, log: Logger): Buffer {
  // Only SQLite databases of older versions can hold one; PostgreSQL never did.
  const legacy = db ? getMeta(db, LEGACY_SALT) : undefined;
  let secret: Buffer;
  if (source.configured) {
    secret = Buffer.from(source.configured, 'utf8');
    // A configured secret always won over the stored salt, which was never used: it only goes.
    if (legacy !== undefined)
      log.info({ code: 'user_key.salt_removed' }, 'an unused user key salt was removed from the database');
  } else {
    const existing = readKeyFile(source.file, log);
    if (existing) {
      secret = existing;
      if (legacy !== undefined && !existing.equals(Buffer.from(legacy, 'utf8'))) {
        log.warn(
          { code: 'user_key.salt_conflict', file: source.file },
          'the database holds a user key salt that differs from the key file: the key file is kept and the salt removed from the database; users keyed by that salt start over',
        );
      }
    } else {
      // The old salt's bytes become the file's bytes, so every user keeps the same key.
      secret = createKeyFile(
        source.file,
        legacy === undefined ? randomBytes(32) : Buffer.from(legacy, 'utf8'),
      );
      log.info(
        { code: legacy === undefined ? 'user_key.file_created' : 'user_key.salt_moved', file: source.file },
        legacy === undefined
          ? 'user key file created; back it up apart from the database'
          : 'the user key salt moved from the database to the key file; back it up apart from the database',
      );
    }
  }
  if (db && legacy !== undefined) {
    deleteMeta(db, LEGACY_SALT);
    wipeWal(db);
  }
  return secret;
}

function readKeyFile(file: string, log: Logger): Buffer | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError(
      `The user key file ${file} cannot be read: ${(e as Error).message}. Check SECRET_KEY_FILE.`,
    );
  }
  if (bytes.length < MIN_SECRET_BYTES)
    throw new ConfigError(
      `The user key file ${file} holds ${bytes.length} bytes; it needs at least ${MIN_SECRET_BYTES}. Restore it from a backup, or delete it to start every conversation over.`,
    );
  if ((statSync(file).mode & 0o077) !== 0) {
    try {
      chmodSync(file, 0o600);
      log.warn(
        { code: 'user_key.file_mode', file },
        'the user key file was readable by others; it is now 0600',
      );
    } catch {
      log.warn({ code: 'user_key.file_mode', file }, 'the user key file is readable by others; make it 0600');
    }
  }
  return bytes;
}

/**
 * Writes the key file whole before it appears under its name (a link of a finished temporary
 * file), so two processes starting at once never read half a key: the second one reads the first's.
 */
function createKeyFile(file: string, bytes: Buffer): Buffer {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(temp, 0o600);
    linkSync(temp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return readFileSync(file);
  } finally {
    unlinkSync(temp);
  }
  return bytes;
}

/**
 * Users are known only by HMAC-SHA256(secret, channel + id): the phone number or chat id is
 * never stored, and without the secret a key cannot be recomputed from a guessed number.
 */
export class UserKeys {
  // The same users write again and again; remembering their keys saves an HMAC per turn.
  private readonly cache = new Map<string, string>();

  constructor(private readonly secret: Buffer) {}

  of(channel: string, id: string): string {
    const name = `${channel}\u0000${id}`;
    let key = this.cache.get(name);
    if (key === undefined) {
      key = createHmac('sha256', this.secret).update(name).digest('base64url');
      if (this.cache.size >= 100_000) this.cache.clear();
      this.cache.set(name, key);
    }
    return key;
  }

  /**
   * A channel id sealed for the staff inbox, which must write to a user who has not written
   * lately: AES-256-GCM under a key derived from the secret, which never enters the database.
   */
  seal(id: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey(), iv);
    const body = Buffer.concat([cipher.update(id, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The channel id of `seal`; null when it was sealed under another secret. */
  unseal(sealed: string): string | null {
    try {
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey(), raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }

  private sealKey(): Buffer {
    return createHmac('sha256', this.secret).update('handoff-address').digest();
  }

  /** A forgotten user's id leaves the bot's memory too. */
  drop(channel: string, id: string): void {
    this.cache.delete(`${channel}\u0000${id}`);
  }
}
