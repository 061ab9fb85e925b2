/**
 * A stand-in for the extension's EngineClient (src/extension/engine-client.ts) in plain Node tests:
 * its state, which the test sets with `setState` (firing the state event as the client does), and
 * requests answered by `answer`.
 */
export interface FakeEngineClient {
  state: string;
  readonly isRunning: boolean;
  /** EngineClient.restartingOnRequest, for a test to set */
  restartingOnRequest: boolean;
  onDidChangeState(listener: (state: string) => void): { dispose(): void };
  setState(state: string): void;
  request(type: unknown, params: unknown): Promise<unknown>;
  notify(): void;
}

export function fakeEngineClient(answer: (params: unknown) => unknown = () => undefined): FakeEngineClient {
  const listeners = new Set<(state: string) => void>();
  const engine: FakeEngineClient = {
    state: 'starting',
    restartingOnRequest: false,
    get isRunning() {
      return engine.state === 'running';
    },
    onDidChangeState: (listener) => {
      listeners.add(listener);
      return { dispose: () => void listeners.delete(listener) };
    },
    setState(state) {
      engine.state = state;
      for (const listener of [...listeners]) listener(state);
    },
    request: async (_type, params) => answer(params),
    notify() {},
  };
  return engine;
}
