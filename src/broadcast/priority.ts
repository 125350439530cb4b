/**
 * Replies to users go before broadcast messages: while a channel is answering someone, its
 * broadcast waits. A channel holds the gate for each update it handles; the channel's outbox
 * sender asks `replying` before it sends a broadcast message.
 */
export class ReplyPriority {
  private readonly busy = new Map<string, number>();

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
    };
  }

  replying(channel: string): boolean {
    return (this.busy.get(channel) ?? 0) > 0;
  }
}
