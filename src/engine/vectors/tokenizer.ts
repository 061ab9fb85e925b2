import { loadHuggingFaceTokenizer } from './huggingface-tokenizer';
import { loadIdentifierTokenizer } from './identifier-tokenizer';

/** Turns text into the token ids an embedding model reads. */
export interface TextTokenizer {
  /**
   * Token ids of `text`, special tokens included, truncated so that the whole
   * sequence (special tokens counted) is at most `maxTokens` long.
   */
  encode(text: string, maxTokens: number): number[];
  /** The id that fills the positions after a sequence's end when sequences are batched. */
  readonly padId: number;
  /**
   * The whole words the tokenizer knows, most frequent first, when it has such a list (a word-level
   * vocabulary); the engine spell-checks queries against it. Subword vocabularies leave it undefined.
   */
  readonly words?: readonly string[];
}

/**
 * The `tokenizer` object of codescout-model.json. `kind` picks the loader from
 * {@link TOKENIZER_LOADERS}; `file` is relative to the model folder and is checked to exist
 * before the loader runs; `options` holds kind-specific settings, which that kind's loader validates.
 */
export interface TokenizerSpec {
  readonly kind: TokenizerKind;
  readonly file: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** Builds a tokenizer from the files of a model folder. */
export type TokenizerLoader = (modelDir: string, spec: TokenizerSpec) => Promise<TextTokenizer>;

/** Every tokenizer kind a model folder may name. Adding a kind is adding its loader here. */
const TOKENIZER_LOADERS = {
  huggingface: loadHuggingFaceTokenizer,
  identifier: loadIdentifierTokenizer,
} satisfies Record<string, TokenizerLoader>;

export type TokenizerKind = keyof typeof TOKENIZER_LOADERS;

/** The tokenizer kinds this build knows, for validation messages. */
export const TOKENIZER_KINDS = Object.keys(TOKENIZER_LOADERS) as readonly TokenizerKind[];

export function isTokenizerKind(kind: string): kind is TokenizerKind {
  return Object.hasOwn(TOKENIZER_LOADERS, kind);
}

/** Loads the tokenizer that `spec` describes from `modelDir`. */
export async function loadTokenizer(modelDir: string, spec: TokenizerSpec): Promise<TextTokenizer> {
  // model-config validates the kind; this guards callers that built a spec by hand
  if (!isTokenizerKind(spec.kind)) {
    throw new Error(`unknown tokenizer kind ${JSON.stringify(spec.kind)} (known: ${TOKENIZER_KINDS.join(', ')})`);
  }
  return TOKENIZER_LOADERS[spec.kind](modelDir, spec);
}
