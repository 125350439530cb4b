import { createHmac, randomBytes } from 'node:crypto';
import { type Db, getMeta, setMeta } from './db.js';

/**
 * Users are known only by a salted hash of channel and id: the phone number or chat id
 * is never stored. Without USER_KEY_SALT, a random salt is made once and kept in the DB.
 */
export function userKeyer(db: Db, configured?: string): (channel: string, id: string) => string {
  let salt = configured;
  if (!salt) {
    salt = getMeta(db, 'user_key_salt');
    if (!salt) {
      salt = randomBytes(32).toString('hex');
      setMeta(db, 'user_key_salt', salt);
    }
  }
  const secret = salt;
  return (channel, id) => createHmac('sha256', secret).update(`${channel}\u0000${id}`).digest('base64url');
}
