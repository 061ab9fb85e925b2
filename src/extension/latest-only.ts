/**
 * One request at a time for a value that keeps changing (the text of a live search box), and only
 * the latest value's answer shown.
 *
 * A fixed debounce makes every search wait for it, also the one whose engine would answer at once:
 * with 150 ms, an idle palette search took about 180 ms, 150 of them waiting. Here a value is sent
 * as soon as nothing else is in flight; values set meanwhile replace each other, and the last one
 * is sent when the request in flight settles. The engine then never has more than one of these
 * requests, however fast the user types, and an answer reaches `deliver` only while its value is
 * still the latest (so a slow answer for `pars` never replaces the one for `parse json`).
 *
 * No `vscode` here: the picker uses it, and the unit tests drive it with their own promises.
 */

/** How a request ended. */
export type Settled<R> = { ok: true; result: R } | { ok: false; error: unknown };

export class LatestOnly<V, R> {
  /** the value to show an answer for; `undefined` once it is answered or dropped */
  private wanted: { value: V } | undefined;
  /** the request being answered, if any (at most one) */
  private inFlight: { value: V } | undefined;

  /**
   * @param send starts the request for a value (it may throw or reject: `deliver` is told)
   * @param deliver is given the latest value's outcome, once, unless another value is set first
   * @param same whether two values ask the same (an answer to one is an answer to the other)
   * @param deliverFailed is told when `deliver` throws (it runs in a promise callback, where a throw
   *   would be an unhandled rejection); later values are asked and delivered as usual. Default:
   *   `console.error`. It must not throw itself.
   */
  constructor(
    private readonly send: (value: V) => Promise<R>,
    private readonly deliver: (value: V, outcome: Settled<R>) => void,
    private readonly same: (a: V, b: V) => boolean = Object.is,
    private readonly deliverFailed: (error: unknown) => void = (error) => console.error(error),
  ) {}

  /** Asks for `value`'s answer: at once when nothing is in flight, else when that settles. */
  set(value: V): void {
    this.wanted = { value };
    if (!this.inFlight) this.start(value);
  }

  /** Drops the value waiting, if any: no answer is delivered until the next {@link set}. */
  drop(): void {
    this.wanted = undefined;
  }

  /** Whether a request is being answered. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  private start(value: V): void {
    const flight = { value };
    this.inFlight = flight;
    let sent: Promise<R>;
    try {
      sent = this.send(value);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (result) => this.settle(flight, { ok: true, result }),
      (error: unknown) => this.settle(flight, { ok: false, error }),
    );
  }

  private settle(flight: { value: V }, outcome: Settled<R>): void {
    this.inFlight = undefined;
    const wanted = this.wanted;
    if (wanted === undefined) return;
    if (this.same(wanted.value, flight.value)) {
      this.wanted = undefined;
      try {
        this.deliver(flight.value, outcome);
      } catch (error) {
        this.deliverFailed(error);
      }
    } else {
      this.start(wanted.value);
    }
  }
}
