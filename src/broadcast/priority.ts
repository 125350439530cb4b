/**
 * Replies to users go before broadcast messages: while a channel is answering someone, its
 * broadcast waits. A channel holds the gate for each update it handles; the broadcast worker
 * waits for the gate to be free before every message.
 */
export class ReplyPriority {
  private readonly busy = new Map<string, number>();
  private readonly waiters = new Map<string, Array<() => void>>();

  /** Marks a reply in progress on a channel; call the returned function when it is sent. */
  hold(channel: string): () => void {
    this.busy.set(channel, (this.busy.get(channel) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.busy.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.busy.set(channel, left);
        return;
      }
      this.busy.delete(channel);
      for (const w of this.waiters.get(channel)?.splice(0) ?? []) w();
    };
  }

  /** Runs `work` as a reply on a channel. */
  async reply<T>(channel: string, work: () => Promise<T>): Promise<T> {
    const release = this.hold(channel);
    try {
      return await work();
    } finally {
      release();
    }
  }

  replying(channel: string): boolean {
    return (this.busy.get(channel) ?? 0) > 0;
  }

  /** Resolves when no reply is in progress on the channel. */
  async idle(channel: string): Promise<void> {
    while (this.replying(channel)) {
      await new Promise<void>((r) => {
        const list = this.waiters.get(channel) ?? [];
        list.push(r);
        this.waiters.set(channel, list);
      });
    }
  }
}
