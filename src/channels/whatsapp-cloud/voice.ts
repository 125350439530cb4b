import type { Logger } from 'pino';
import { readRecording } from '../../audio/file.js';
import type { MediaUploads } from '../../store/contract.js';
import type { GraphClient } from './api.js';
import type { VoiceUploader } from './transport.js';

const CHANNEL = 'whatsapp-cloud';
/** Meta keeps uploaded media for 30 days; an id is reused for less, so it never expires mid-send. */
const KEEP_MS = 25 * 24 * 3_600_000;
const MIME = 'audio/ogg';

/**
 * Recorded answers for the Cloud API: the file is uploaded to the media endpoint once, and the
 * media id Meta gives is kept (per phone number id) and sent from then on, until it is near expiry.
 */
export function cloudVoiceUploader(options: {
  client: Pick<GraphClient, 'uploadMedia'>;
  uploads: MediaUploads;
  /** The phone number id: media belong to the number they were uploaded for. */
  account: string;
  dataDir: string;
  log: Logger;
}): VoiceUploader {
  const { client, uploads, account, dataDir, log } = options;
  const failed = (file: string, reason: string) => {
    log.warn(
      { code: 'whatsapp_cloud.voice_failed', file, reason },
      'whatsapp-cloud: a recorded answer could not be sent',
    );
    return null;
  };
  const notKept = (file: string) => (e: unknown) =>
    log.warn(
      { code: 'whatsapp_cloud.voice_not_kept', file, reason: e instanceof Error ? e.message : String(e) },
      'whatsapp-cloud: a recording was uploaded, but its media id could not be kept',
    );
  const hashes = new Map<string, string>();
  return {
    async resolve(file, fresh) {
      let recording: ReturnType<typeof readRecording>;
      try {
        recording = readRecording(dataDir, file);
      } catch (e) {
        return failed(file, e instanceof Error ? e.message : String(e));
      }
      hashes.set(file, recording.sha256);
      // The kept id only saves an upload: a store that cannot answer means uploading the file again.
      const kept = fresh
        ? null
        : await uploads.mediaUpload(CHANNEL, account, recording.sha256, KEEP_MS).catch(() => null);
      if (kept) return { payload: { type: 'audio', audio: { id: kept } }, cached: true };
      const up = await client.uploadMedia(recording.bytes, MIME, recording.name);
      if (!up.ok)
        return failed(
          file,
          `${up.failure.httpStatus} ${up.failure.code ?? ''} ${up.failure.title ?? ''}`.trim(),
        );
      await uploads.saveMediaUpload(CHANNEL, account, recording.sha256, up.id).catch(notKept(file));
      return { payload: { type: 'audio', audio: { id: up.id } }, cached: false };
    },
    async forget(file) {
      const sha = hashes.get(file);
      if (sha) await uploads.dropMediaUpload(CHANNEL, account, sha).catch(() => {});
    },
  };
}
