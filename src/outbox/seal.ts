import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

const IV_BYTES = 12;
/** Nonces are drawn from the system's generator this many at a time: one call instead of one per message. */
const IVS_DRAWN = 256;

/**
 * Chat addresses (and the text) in the outbox are sealed (AES-256-GCM) with a key derived from the user key
 * secret, which never lives in the database: a copied database gives no phone numbers or chat ids.
 */
export class AddressSeal {
  private readonly key: KeyObject;
  private ivs = Buffer.alloc(0);
  private ivAt = 0;

  constructor(secret: Buffer) {
    // A key object is imported once; a raw key would be imported again at every message.
    this.key = createSecretKey(
      Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'puente outbox address', 32)),
    );
  }

  /** A fresh random nonce; each is used once. */
  private iv(): Buffer {
    if (this.ivAt + IV_BYTES > this.ivs.length) {
      this.ivs = randomBytes(IV_BYTES * IVS_DRAWN);
      this.ivAt = 0;
    }
    const iv = this.ivs.subarray(this.ivAt, this.ivAt + IV_BYTES);
    this.ivAt += IV_BYTES;
    return iv;
  }

  seal(text: string): Buffer {
    const iv = this.iv();
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  open(raw: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + 16));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + 16)), decipher.final()]).toString('utf8');
  }
}
