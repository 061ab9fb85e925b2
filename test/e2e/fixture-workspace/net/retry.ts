/** Network helpers: retrying flaky requests. */

/** The delay before retry number `attempt`: doubles each time, capped at `maxDelayMs`. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs = 30_000): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
}

/** Retry an async operation with exponential backoff until it succeeds or attempts run out. */
export async function retryWithBackoff<T>(operation: () => Promise<T>, attempts: number, baseDelayMs: number): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await operation();
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, baseDelayMs)));
    }
  }
  throw lastError;
}

/** A small JSON-over-HTTP client whose requests are retried. */
export class JsonClient {
  constructor(private readonly baseUrl: string) {}

  async getJson(path: string): Promise<unknown> {
    const response = await retryWithBackoff(() => fetch(this.baseUrl + path), 3, 200);
    return response.json();
  }
}
