/**
 * When to restart a crashed engine process: after growing delays, and not at all after too
 * many crashes in a row. A process that stayed up long enough resets the count, so a crash
 * a day later is treated as a first crash.
 */
export class RestartPolicy {
  private crashes = 0;

  constructor(
    private readonly delaysMs: readonly number[] = [500, 2000, 5000, 10_000, 30_000],
    private readonly maxCrashes = 5,
    private readonly stableMs = 120_000,
  ) {}

  /**
   * Records a crash of a process that had been up `uptimeMs` and returns the delay before
   * the next start, or undefined to stop restarting.
   */
  onCrash(uptimeMs: number): number | undefined {
    if (uptimeMs >= this.stableMs) this.crashes = 0;
    this.crashes++;
    if (this.crashes > this.maxCrashes) return undefined;
    return this.delaysMs[Math.min(this.crashes, this.delaysMs.length) - 1];
  }

  /** Crashes in the current streak. */
  get streak(): number {
    return this.crashes;
  }

  /** Forgets the streak (the user restarted the engine by hand). */
  reset(): void {
    this.crashes = 0;
  }
}
