import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { readJsonObject } from './read-json';
import type { TextTokenizer, TokenizerSpec } from './tokenizer';

/** The optional companion of tokenizer.json, looked for in the same folder. */
const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

/**
 * Loads a Hugging Face tokenizer: `spec.file` is its tokenizer.json; a tokenizer_config.json
 * beside it, if present, supplies the named special tokens (pad, unk, …).
 * The padding id is tokenizer.json's `padding.pad_id`, else the id of the config's `pad_token`, else 0.
 */
export async function loadHuggingFaceTokenizer(modelDir: string, spec: TokenizerSpec): Promise<TextTokenizer> {
  const unknownOptions = Object.keys(spec.options);
  if (unknownOptions.length > 0) {
    throw new Error(`tokenizer kind "huggingface" takes no options, got: ${unknownOptions.join(', ')}`);
  }
  const tokenizerPath = path.resolve(modelDir, spec.file);
  const configPath = path.join(path.dirname(tokenizerPath), TOKENIZER_CONFIG_FILE);
  const tokenizerJson = await readJsonObject(tokenizerPath);
  const tokenizerConfig = existsSync(configPath) ? await readJsonObject(configPath) : {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (err) {
    throw new Error(`cannot build a tokenizer from ${tokenizerPath}: ${(err as Error).message}`);
  }
  return new HuggingFaceTokenizer(tokenizer, padIdOf(tokenizer, tokenizerJson, tokenizerConfig));
}

class HuggingFaceTokenizer implements TextTokenizer {
  /** How many special tokens the post-processor adds around a single sequence. */
  private readonly specialTokenCount: number;

  constructor(
    private readonly tokenizer: Tokenizer,
    readonly padId: number,
  ) {
    this.specialTokenCount = this.addSpecialTokens([]).length;
  }

  encode(text: string, maxTokens: number): number[] {
    const budget = maxTokens - this.specialTokenCount;
    if (budget < 0) {
      throw new Error(
        `maxTokens ${maxTokens} leaves no room for the tokenizer's ${this.specialTokenCount} special tokens`,
      );
    }
    const tokens = this.tokenizer.tokenize(text).slice(0, budget);
    return this.addSpecialTokens(tokens).map((token) => this.idOf(token));
  }

  private addSpecialTokens(tokens: string[]): string[] {
    const postProcessor = this.tokenizer.post_processor;
    return postProcessor ? postProcessor.post_process(tokens, null, true).tokens : tokens;
  }

  private idOf(token: string): number {
    const id = this.tokenizer.token_to_id(token) ?? this.tokenizer.model?.unk_token_id;
    if (id === undefined) {
      throw new Error(`token "${token}" is not in the vocabulary and the tokenizer has no unknown token`);
    }
    return id;
  }
}

function padIdOf(
  tokenizer: Tokenizer,
  tokenizerJson: Record<string, unknown>,
  config: Record<string, unknown>,
): number {
  const padding = tokenizerJson.padding as { pad_id?: unknown } | null | undefined;
  if (typeof padding?.pad_id === 'number') {
    return padding.pad_id;
  }
  const padToken = tokenContent(config.pad_token);
  return (padToken !== undefined ? tokenizer.token_to_id(padToken) : undefined) ?? 0;
}

/** A special token in tokenizer_config.json is either its text or an object with `content`. */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  const content = (value as { content?: unknown } | null | undefined)?.content;
  return typeof content === 'string' ? content : undefined;
}
