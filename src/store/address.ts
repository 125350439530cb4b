import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The address a message can be sent to later (a Telegram chat id, a phone number), sealed with
 * AES-256-GCM under a key derived from the user key secret, which never lives in the database:
 * a copied database alone reveals no phone number or raw id. The channel is bound to the sealed
 * value, so an address cannot be moved to another channel's row.
 */
export class AddressBox {
  private readonly key: Buffer;

  constructor(secret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'puente address v1', 32));
  }

  seal(channel: string, address: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(channel, 'utf8'));
    const body = Buffer.concat([cipher.update(address, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The address, or null when the value was sealed with another secret or for another channel. */
  open(channel: string, sealed: string): string | null {
    try {
      const raw = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(channel, 'utf8'));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
