import type { CancelSignal } from '../types';

/** Turns texts into fixed-size vectors whose cosine similarity reflects meaning. */
export interface Embedder {
  /**
   * Stable model id, `<config id>@<first 12 hex digits of the sha256 of the .onnx file, the config and the tokenizer file>`;
   * part of the embedding-cache key, so a changed model file never reuses old vectors.
   */
  readonly id: string;
  /** Length of every returned vector. */
  readonly dimension: number;
  /** The model's window in tokens, special tokens included; longer texts are truncated. */
  readonly maxTokens: number;
  /**
   * One vector per text, in the order of `texts`, each embedded with the model's document prefix.
   * `signal` is checked before each batch; when it is set the call rejects with {@link CancelledError}.
   */
  embedDocuments(texts: string[], signal?: CancelSignal): Promise<Float32Array[]>;
  /** The vector of a search query, embedded with the model's query prefix. */
  embedQuery(text: string): Promise<Float32Array>;
  /**
   * Words the model knows, most frequent first, if its tokenizer has a word-level vocabulary:
   * the dictionary for query spelling (search/spelling.ts).
   */
  readonly words?: readonly string[];
  /** Frees the model; the embedder must not be used afterwards. */
  dispose(): Promise<void>;
}

/** The work was stopped through its {@link CancelSignal}. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';

  constructor(message = 'cancelled') {
    super(message);
  }
}
