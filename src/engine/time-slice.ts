/**
 * Long synchronous work on a thread that also answers requests (the engine process's main
 * thread: searches arrive while it indexes) is cut into slices: {@link TimeSlices.pause} yields
 * to the event loop once the current slice has run `sliceMs`, so a waiting request is answered
 * within about one slice.
 */
export class TimeSlices {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs: number) {}

  /** Yields (setImmediate) when this slice has run its length; otherwise returns at once. */
  async pause(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
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
