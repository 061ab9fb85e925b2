/**
 * Coalesces bursts of events into one action: the action runs once the events have been
 * quiet for `quietMs`, and no later than `maxWaitMs` after the first event of the burst, so
 * a steady trickle of changes cannot postpone it forever.
 */
export class Coalescer {
  private quietTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly action: () => void,
    private readonly quietMs: number,
    private readonly maxWaitMs: number,
  ) {}

  /** Records an event; the action runs once for the whole burst. */
  trigger(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.fire(), this.quietMs);
    this.deadlineTimer ??= setTimeout(() => this.fire(), this.maxWaitMs);
  }

  /** Drops a pending burst without running the action. */
  dispose(): void {
    clearTimeout(this.quietTimer);
    clearTimeout(this.deadlineTimer);
    this.quietTimer = this.deadlineTimer = undefined;
  }

  private fire(): void {
    this.dispose();
    this.action();
  }
}
