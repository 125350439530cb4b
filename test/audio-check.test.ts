import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readOggInfo } from '../src/audio/ogg.js';
import { contentPaths } from '../src/config/env.js';
import { checkContent } from '../src/content/check.js';
import { contentWithAudio, nameFaqAudio, putRecording, TONE, UNPAID } from './support/audio-content.js';
import { cli } from './support/cli.js';

const tone = () => readFileSync(TONE);

/** The same OGG/Opus stream with its last page's granule position set to `seconds` of sound. */
function lasting(seconds: number): Buffer {
  const bytes = Buffer.from(tone());
  const last = bytes.lastIndexOf(Buffer.from('OggS'));
  const preSkip = bytes.readUInt16LE(bytes.indexOf(Buffer.from('OpusHead')) + 10);
  bytes.writeBigInt64LE(BigInt(Math.round(seconds * 48_000) + preSkip), last + 6);
  return bytes;
}

/** An OGG page whose first packet is a Vorbis identification header: OGG, but not Opus. */
function vorbis(): Buffer {
  const packet = Buffer.concat([Buffer.from('\x01vorbis', 'latin1'), Buffer.alloc(23)]);
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header[5] = 0x02;
  header.writeUInt32LE(1234, 14);
  header[26] = 1;
  return Buffer.concat([header, Buffer.from([packet.length]), packet]);
}

describe('reading OGG/Opus headers', () => {
  it('reads the length of an Opus stream from its last granule position', () => {
    const info = readOggInfo(tone());
    expect(info).toMatchObject({ ok: true, channels: 1 });
    expect(info.ok && info.seconds).toBeCloseTo(1.5, 1);
    const long = readOggInfo(lasting(150));
    expect(long.ok && long.seconds).toBeCloseTo(150, 1);
  });

  it('says what a file is when it is not OGG/Opus', () => {
    expect(readOggInfo(vorbis())).toEqual({ ok: false, reason: 'it is OGG with Vorbis, not Opus' });
    const m4a = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A '), Buffer.alloc(40)]);
    expect(readOggInfo(m4a)).toMatchObject({ ok: false, reason: expect.stringContaining('M4A') });
    expect(readOggInfo(tone().subarray(0, 200))).toMatchObject({
      ok: false,
      reason: 'the file is cut short',
    });
  });
});

describe('cli check: recordings', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const check = () => checkContent(contentPaths(dir));
  const audioProblems = () => check().problems.filter((p) => p.code.startsWith('audio.'));
  const ht = `audio/${UNPAID}.ht.ogg`;

  it('accepts valid recordings and lists, per language, the answers that have one', () => {
    dir = contentWithAudio();
    const report = check();
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(report.audio).toEqual({ es: [UNPAID], en: [], ht: [UNPAID, 'trafficking/safety'] });
  });

  it('warns about a recording that nothing names', () => {
    dir = contentWithAudio();
    putRecording(dir, 'audio/labor.complaint-how.ht.ogg');
    expect(audioProblems()).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'audio.unused',
        file: 'data/audio/labor.complaint-how.ht.ogg',
        hint: expect.stringContaining('audio: audio/labor.complaint-how.ht.ogg'),
      }),
    ]);
  });

  it('rejects a missing file, at the line that names it', () => {
    dir = contentWithAudio();
    rmSync(join(dir, 'data', ht));
    const [p, ...rest] = audioProblems();
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ severity: 'error', code: 'audio.missing', file: `data/faq/${UNPAID}.yaml` });
    expect(p!.message).toContain(`data/${ht} does not exist`);
    const lines = readFileSync(join(dir, 'data', 'faq', `${UNPAID}.yaml`), 'utf8').split('\n');
    expect(lines[p!.line - 1]).toContain(`audio: ${ht}`);
  });

  it('rejects a file that is OGG but not Opus', () => {
    dir = contentWithAudio();
    putRecording(dir, ht, vorbis());
    expect(audioProblems()).toEqual([
      expect.objectContaining({ code: 'audio.format', message: expect.stringContaining('Vorbis, not Opus') }),
    ]);
  });

  it('rejects a phone recording that was not converted', () => {
    dir = contentWithAudio();
    putRecording(
      dir,
      ht,
      Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypM4A '), Buffer.alloc(64)]),
    );
    const [p] = audioProblems();
    expect(p).toMatchObject({ code: 'audio.format' });
    expect(p!.hint).toContain('ffmpeg -i in.m4a -c:a libopus -b:a 24k -ac 1 out.ogg');
  });

  it('rejects a recording longer than 2 minutes, and accepts one of exactly 2', () => {
    dir = contentWithAudio();
    putRecording(dir, ht, lasting(121));
    expect(audioProblems()).toEqual([
      expect.objectContaining({ code: 'audio.long', message: expect.stringContaining('lasts 2:01') }),
    ]);
    putRecording(dir, ht, lasting(120));
    expect(audioProblems()).toEqual([]);
  });

  it('rejects a file over 1 MB', () => {
    dir = contentWithAudio();
    putRecording(dir, ht, Buffer.concat([tone(), Buffer.alloc(1024 * 1024)]));
    expect(audioProblems()).toEqual([expect.objectContaining({ code: 'audio.big' })]);
  });

  it('rejects a recording of another language', () => {
    dir = contentWithAudio();
    nameFaqAudio(dir, UNPAID, 'en', `audio/${UNPAID}.es.ogg`);
    expect(audioProblems()).toEqual([
      expect.objectContaining({
        code: 'audio.lang',
        file: `data/faq/${UNPAID}.yaml`,
        message: expect.stringContaining(
          'English (en) block names audio/labor.unpaid-wages.es.ogg, a Spanish recording',
        ),
      }),
    ]);
  });

  it('rejects a name outside data/audio/ before reading anything', () => {
    dir = contentWithAudio();
    nameFaqAudio(dir, UNPAID, 'en', '../secret.en.ogg');
    expect(
      check().problems.some((p) => p.severity === 'error' && p.message.includes('audio/<id>.<lang>.ogg')),
    ).toBe(true);
  });

  it('fails `cli check` with the file and line, and reports the recorded answers', () => {
    dir = contentWithAudio();
    const ok = cli(['check'], '', { CONTENT_DIR: dir });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`ht: 2 (${UNPAID}, trafficking/safety)`);
    expect(ok.stdout).toContain('en: none');
    writeFileSync(join(dir, 'data', 'audio', 'trafficking.safety.ht.ogg'), vorbis());
    const bad = cli(['check', '--json'], '', { CONTENT_DIR: dir });
    expect(bad.status).toBe(1);
    const report = bad.lines[0] as { problems: Array<{ code: string; file: string; line: number }> };
    expect(report.problems).toContainEqual(
      expect.objectContaining({ code: 'audio.format', file: 'flows/trafficking.yaml' }),
    );
  });
});
