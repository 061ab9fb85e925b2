/** Latency samples of one kind (hover, time to first result), kept for reporting. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  max: number;
  /** the most recent samples, in milliseconds, oldest first */
  samples: number[];
}

const KEPT = 1000;

export class LatencySamples {
  private readonly samples: number[] = [];

  record(ms: number): void {
    this.samples.push(Number(ms.toFixed(2)));
    if (this.samples.length > KEPT) this.samples.shift();
  }

  summary(): LatencySummary {
    const sorted = [...this.samples].sort((a, b) => a - b);
    return {
      count: sorted.length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      max: sorted.length ? sorted[sorted.length - 1] : 0,
      samples: [...this.samples],
    };
  }
}

/** Nearest-rank percentile of ascending `sorted` (0 when empty). */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
