/**
 * Whether the channel can send at all. A refused token, missing permissions or a blocked account
 * turn it red until a send succeeds again; the health endpoint reports it.
 */
export type CloudProblem = 'token' | 'permission' | 'account';

export class CloudHealth {
  private current: { problem: CloudProblem; since: number } | null = null;

  get ok(): boolean {
    return this.current === null;
  }

  get problem(): CloudProblem | null {
    return this.current?.problem ?? null;
  }

  /** Since when (ms) the channel has been unable to send; null when it is fine. */
  get since(): number | null {
    return this.current?.since ?? null;
  }

  /** Returns true when this is news (the flag was green, or red for another reason). */
  fail(problem: CloudProblem, now: number): boolean {
    if (this.current?.problem === problem) return false;
    this.current = { problem, since: now };
    return true;
  }

  /** Returns true when the flag was red. */
  recover(): boolean {
    const was = this.current !== null;
    this.current = null;
    return was;
  }
}
