/** Counts the event loop's turns (a setImmediate callback each) until stopped: how often work on this thread let others run. */
export class LoopTurns {
  private count = 0;
  private timer: NodeJS.Immediate;

  constructor() {
    this.timer = setImmediate(this.tick);
  }

  get turns(): number {
    return this.count;
  }

  stop(): void {
    clearImmediate(this.timer);
  }

  private readonly tick = (): void => {
    this.count++;
    this.timer = setImmediate(this.tick);
  };
}
