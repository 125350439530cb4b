/**
 * Reads just enough of an OGG file to know whether both apps can play it as a voice note: the
 * capture pattern of every page, an Opus stream (its first packet is the OpusHead header), and
 * its length from the granule position of its last page. Nothing is decoded.
 */

export type OggInfo = { ok: true; seconds: number; channels: number } | { ok: false; reason: string };

const CAPTURE = Buffer.from('OggS');
const OPUS_HEAD = Buffer.from('OpusHead');
/** Opus granule positions count samples at 48 kHz, whatever the input's rate. */
const OPUS_RATE = 48_000;

/** What a file that is not OGG most likely is, to say which conversion it needs. */
function guessFormat(bytes: Buffer): string {
  if (bytes.subarray(4, 8).toString('latin1') === 'ftyp') return 'an M4A/MP4 file (a phone recording)';
  if (bytes.subarray(0, 3).toString('latin1') === 'ID3' || (bytes[0] === 0xff && (bytes[1]! & 0xe0) === 0xe0))
    return 'an MP3 file';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF') return 'a WAV file';
  if (bytes.subarray(0, 6).toString('latin1') === '#!AMR') return 'an AMR file';
  return 'not an OGG file';
}

function codecOf(packet: Buffer): string {
  if (packet.subarray(0, 7).toString('latin1') === '\x01vorbis') return 'Vorbis';
  if (packet.subarray(0, 8).toString('latin1') === 'Speex   ') return 'Speex';
  if (packet.subarray(0, 5).toString('latin1') === '\x7fFLAC') return 'FLAC';
  return 'an unknown codec';
}

export function readOggInfo(bytes: Buffer): OggInfo {
  if (bytes.length < 27 || !bytes.subarray(0, 4).equals(CAPTURE))
    return { ok: false, reason: `it is ${guessFormat(bytes)}, not OGG/Opus` };
  let offset = 0;
  let serial: number | null = null;
  let preSkip = 0;
  let channels = 0;
  let lastGranule = -1n;
  while (offset < bytes.length) {
    if (bytes.length - offset < 27 || !bytes.subarray(offset, offset + 4).equals(CAPTURE))
      return { ok: false, reason: `the OGG data is broken at byte ${offset}` };
    if (bytes[offset + 4] !== 0) return { ok: false, reason: 'it uses an OGG version no app plays' };
    const segments = bytes[offset + 26]!;
    const tableEnd = offset + 27 + segments;
    if (tableEnd > bytes.length) return { ok: false, reason: 'the file is cut short' };
    let length = 0;
    for (let i = offset + 27; i < tableEnd; i++) length += bytes[i]!;
    const dataEnd = tableEnd + length;
    if (dataEnd > bytes.length) return { ok: false, reason: 'the file is cut short' };
    const pageSerial = bytes.readUInt32LE(offset + 14);
    const granule = bytes.readBigInt64LE(offset + 6);
    if (serial === null) {
      const first = bytes.subarray(tableEnd, dataEnd);
      if (first.length < 19 || !first.subarray(0, 8).equals(OPUS_HEAD))
        return { ok: false, reason: `it is OGG with ${codecOf(first)}, not Opus` };
      serial = pageSerial;
      channels = first[9]!;
      preSkip = first.readUInt16LE(10);
    } else if (pageSerial === serial && granule >= 0n) {
      lastGranule = granule;
    }
    offset = dataEnd;
  }
  if (lastGranule < 0n) return { ok: false, reason: 'it holds no sound' };
  const seconds = Math.max(0, Number(lastGranule - BigInt(preSkip)) / OPUS_RATE);
  return { ok: true, seconds, channels };
}
