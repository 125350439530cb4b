/**
 * Failures of the Cloud API channel counted by error code, and held messages by reason, for the
 * metrics endpoint to read. Codes and counts only: nothing that names a person.
 */
export type FailureSource = 'send' | 'status';

export class CloudCounters {
  private readonly failures = new Map<string, number>();
  private readonly held = new Map<string, number>();

  /** A send refused by the Graph API, or a "failed" status callback; `code` is Meta's, or "network". */
  failure(source: FailureSource, code: number | 'network'): void {
    const key = `${source}|${code}`;
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
  }

  hold(reason: string): void {
    this.held.set(reason, (this.held.get(reason) ?? 0) + 1);
  }

  /** One row per source and code, for a Prometheus counter with those labels. */
  failureCounts(): Array<{ source: FailureSource; code: string; count: number }> {
    return [...this.failures].map(([key, count]) => {
      const [source, code] = key.split('|') as [FailureSource, string];
      return { source, code, count };
    });
  }

  heldCounts(): Array<{ reason: string; count: number }> {
    return [...this.held].map(([reason, count]) => ({ reason, count }));
  }
}
