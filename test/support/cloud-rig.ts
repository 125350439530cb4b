import type { RunningChannel } from '../../src/channels/channel.js';
import type { Clock } from '../../src/channels/whatsapp/pacer.js';
import type { CloudChannel, CloudChannelOptions, Held } from '../../src/channels/whatsapp-cloud/channel.js';
import type { CloudStatus } from '../../src/channels/whatsapp-cloud/incoming.js';
import { startWhatsAppCloud } from '../../src/channels/whatsapp-cloud/run.js';
import { type HttpServer, startHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/runtime/log.js';
import { GraphApiStandIn } from './graph-api-standin.js';
import { Harness, type HarnessOptions } from './harness.js';

export type RigOptions = HarnessOptions & {
  clock?: Clock;
  env?: Record<string, string>;
};

/**
 * The Cloud API channel end to end: the real bot on a SQLite file, the real HTTP server on a
 * free port, and the Graph API stand-in playing Meta on both sides.
 */
export class CloudRig {
  readonly statuses: CloudStatus[] = [];
  readonly held: Held[] = [];
  cloud!: CloudChannel;
  channel!: RunningChannel;
  http!: HttpServer;

  private constructor(
    readonly api: GraphApiStandIn,
    readonly h: Harness,
    private readonly options: RigOptions,
  ) {}

  static async start(options: RigOptions = {}): Promise<CloudRig> {
    const api = new GraphApiStandIn();
    await api.start();
    const clock = options.clock;
    const h = new Harness(
      { ...api.env(), HTTP_PORT: '0', ...options.env },
      { ...options, now: options.now ?? (clock ? () => clock.now() : undefined) },
    );
    const rig = new CloudRig(api, h, options);
    await rig.open();
    return rig;
  }

  get url(): string {
    return `${this.http.url}/whatsapp`;
  }

  private async open(): Promise<void> {
    const extra: Partial<CloudChannelOptions> = {
      onStatus: (s) => this.statuses.push(s),
      onHeld: (h) => this.held.push(h),
    };
    if (this.options.clock) extra.clock = this.options.clock;
    const started = await startWhatsAppCloud(this.h.app, extra);
    this.cloud = started.cloud;
    this.channel = started.channel;
    this.http = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      routes: started.routes,
      log: this.options.log ?? createLogger('silent'),
    });
  }

  /** Delivers messages or statuses as one signed webhook call; resolves with the bot's answer. */
  post(change: { messages?: unknown[]; statuses?: unknown[] }): Promise<Response> {
    return this.api.post(this.url, this.api.body(change));
  }

  /** Delivers one message and returns what the bot sent back to its sender, once all of it is out. */
  async exchange(message: { from: string; [key: string]: unknown }): Promise<Array<Record<string, unknown>>> {
    const before = this.api.delivered(message.from).length;
    const res = await this.post({ messages: [message] });
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    await this.cloud.idle();
    return this.api.delivered(message.from).slice(before);
  }

  /** A new process on the same database, as after a restart. */
  async restart(): Promise<void> {
    await this.http.close();
    await this.cloud.stop();
    this.h.restart();
    await this.open();
  }

  async close(): Promise<void> {
    await this.http.close();
    await this.cloud.stop();
    await this.api.stop();
    this.h.close();
  }
}
