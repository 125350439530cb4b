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
  // The same users write again and again; remembering their keys saves an HMAC per turn.
  const cache = new Map<string, string>();
  return (channel, id) => {
    const name = `${channel}\u0000${id}`;
    let key = cache.get(name);
    if (key === undefined) {
      key = createHmac('sha256', secret).update(name).digest('base64url');
      if (cache.size >= 100_000) cache.clear();
      cache.set(name, key);
    }
    return key;
  };
}
