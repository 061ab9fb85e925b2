/**
 * Long synchronous work on a thread that also answers requests (the engine process's main
 * thread: searches arrive while it indexes) is cut into slices: {@link TimeSlices.pause} yields
 * to the event loop once the current slice has run `sliceMs`, so a waiting request is answered
 * within about one slice.
 */
export class TimeSlices {
  private sliceStart = performance.now();

  /** With `foreground`, a pause also waits while requests are in progress there, so they run without the work in between. */
  constructor(
    private readonly sliceMs: number,
    private readonly foreground?: Foreground,
  ) {}

  /**
   * Whether {@link pause} would wait now. A loop over many small steps asks this first, so that a
   * step that does not pause costs no promise.
   */
  get due(): boolean {
    return (this.foreground?.busy ?? false) || performance.now() - this.sliceStart >= this.sliceMs;
  }

  /**
   * Yields (setImmediate) when this slice has run its length, and waits while foreground
   * requests are in progress; otherwise returns at once.
   */
  async pause(): Promise<void> {
    if (this.foreground?.busy) await this.foreground.idle(FOREGROUND_WAIT_MAX_MS);
    else if (performance.now() - this.sliceStart < this.sliceMs) return;
    else await new Promise((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}

/**
 * The longest a pause waits for foreground requests: requests that overlap without end, or one
 * that never settles (a hung model), hold background work up by at most this much per slice.
 */
const FOREGROUND_WAIT_MAX_MS = 1_000;

/**
 * Requests in progress on a thread that also does background work in {@link TimeSlices}: a
 * search awaits its embedding, and the background work waits (up to
 * {@link FOREGROUND_WAIT_MAX_MS} at a pause) until it is answered instead of taking a slice
 * meanwhile. So a request waits for about one slice, not one per await. Background work between
 * its pauses may still change what a request reads (a refresh's first drops, say): requests
 * must tolerate that.
 */
export class Foreground {
  private running = 0;
  private waiting: (() => void)[] = [];

  get busy(): boolean {
    return this.running > 0;
  }

  /** Runs a request; background work pauses until it (and any other in progress) is done. */
  async run<T>(request: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await request();
    } finally {
      if (--this.running === 0) {
        const waiting = this.waiting;
        this.waiting = [];
        for (const resume of waiting) resume();
      }
    }
  }

  /** Resolves when no request is in progress, or after `maxMs` at the latest. */
  idle(maxMs = Infinity): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(maxMs) ? setTimeout(resolve, maxMs) : undefined;
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * Long work written once, as a generator that yields wherever it may be paused: {@link runSteps}
 * runs it straight through, {@link runStepsSliced} gives the event loop a turn once a slice has
 * run its length. A step between two yields should take well under a slice.
 */
export type Steps<T> = Generator<void, T, void>;

export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export async function runStepsSliced<T>(steps: Steps<T>, slices: TimeSlices): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await slices.pause();
  }
}
