import { type Api, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import { isStoreError } from '../../store/fault.js';

export type PollState = 'starting' | 'polling' | 'retrying' | 'store-fault' | 'stopped' | 'failed';

/**
 * Long polling that confirms an update to Telegram (by asking for the next offset) only after
 * its turn has committed: after a crash, Telegram hands the unconfirmed updates out again, and
 * those already committed are recognised as seen. Updates of one chat run in order; chats run
 * side by side.
 */
export class Poller {
  state: PollState = 'starting';
  private offset = 0;
  private running = false;
  private loop?: Promise<void>;
  private abort = new AbortController();
  private resolveFailure!: (reason: string) => void;
  /** Settles with a one-line reason when polling cannot go on (a revoked token, another poller). */
  readonly failure = new Promise<string>((r) => {
    this.resolveFailure = r;
  });

  constructor(
    private readonly api: Api,
    private readonly handle: (update: unknown) => Promise<void>,
    private readonly chatOf: (update: unknown) => string,
    private readonly log: Logger,
    private readonly options: { allowedUpdates: readonly string[]; timeoutS?: number },
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops asking for updates; the batch in hand finishes and commits first. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
    if (this.state !== 'failed') this.state = 'stopped';
  }

  private async run(): Promise<void> {
    let pause = 1000;
    while (this.running) {
      let updates: Update[];
      try {
        updates = await this.api.getUpdates(
          {
            offset: this.offset,
            timeout: this.options.timeoutS ?? 25,
            limit: 100,
            allowed_updates: this.options.allowedUpdates as never,
          },
          this.abort.signal as unknown as Parameters<Api['getUpdates']>[1],
        );
      } catch (e) {
        if (!this.running) break;
        if (e instanceof GrammyError && (e.error_code === 401 || e.error_code === 404)) {
          return this.fail('Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN');
        }
        if (e instanceof GrammyError && e.error_code === 409) {
          return this.fail(
            'another instance is polling this bot, or a webhook is set (409 Conflict): stop the other one',
          );
        }
        this.state = 'retrying';
        this.log.warn(
          { code: 'telegram.poll', err: e instanceof Error ? e.message : String(e) },
          'getUpdates failed',
        );
        await sleep(pause);
        pause = Math.min(pause * 2, 30_000);
        continue;
      }
      if (this.state !== 'store-fault') this.state = 'polling';
      pause = 1000;
      if (!updates.length) continue;
      const failed = await this.process(updates);
      if (failed === null) {
        this.offset = updates.at(-1)!.update_id + 1;
        this.state = 'polling';
        this.storePause = 1000;
      } else {
        // The first update whose turn did not commit is asked for again; those after it that
        // did commit come back too and are recognised as seen.
        this.offset = failed;
        this.state = 'store-fault';
        await sleep(this.storePause);
        this.storePause = Math.min(this.storePause * 2, 15_000);
      }
    }
  }

  private storePause = 1000;

  /** Runs a batch; the id of the first update that did not commit, or null. */
  private async process(updates: Update[]): Promise<number | null> {
    const chats = new Map<string, Update[]>();
    for (const u of updates) {
      const chat = this.chatOf(u) || `update:${u.update_id}`;
      const list = chats.get(chat);
      if (list) list.push(u);
      else chats.set(chat, [u]);
    }
    let failed: number | null = null;
    await Promise.all(
      [...chats.values()].map(async (list) => {
        for (const u of list) {
          try {
            await this.handle(u);
          } catch (e) {
            if (isStoreError(e)) {
              if (failed === null || u.update_id < failed) failed = u.update_id;
              // Later updates of this chat wait for this one.
              return;
            }
            // Not the store: the update itself is at fault, and asking for it again would not help.
            this.log.error(
              { code: 'telegram.update', err: e instanceof Error ? e.message : String(e) },
              'update failed',
            );
          }
        }
      }),
    );
    return failed;
  }

  private fail(reason: string): void {
    this.state = 'failed';
    this.running = false;
    this.resolveFailure(reason);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
