import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { readJsonObject } from './read-json';
import { isTokenizerKind, TOKENIZER_KINDS, type TokenizerSpec } from './tokenizer';

/** The file that makes a folder a Code Scout model folder (format: see README.md beside this file). */
export const MODEL_CONFIG_FILE = 'codescout-model.json';

/**
 * How one vector per text is made from the model output:
 * `mean` averages the token vectors of `[batch, seq, dim]` over the attention mask,
 * `cls` takes the first token's vector, `none` means the output already is `[batch, dim]`.
 */
export type Pooling = 'mean' | 'cls' | 'none';

const POOLINGS: readonly Pooling[] = ['mean', 'cls', 'none'];

/** Names of the model's graph inputs; an input the model does not declare is not fed. */
export interface ModelInputNames {
  readonly ids: string;
  readonly mask: string;
  readonly typeIds: string;
}

/** A validated codescout-model.json, with defaults filled in. File names are relative to the model folder. */
export interface ModelConfig {
  readonly format: 1;
  /** letters, digits, `.`, `_` and `-`: it becomes part of cache keys */
  readonly id: string;
  readonly description: string;
  readonly onnx: string;
  readonly dimension: number;
  readonly maxTokens: number;
  readonly pooling: Pooling;
  readonly normalize: boolean;
  readonly queryPrefix: string;
  readonly documentPrefix: string;
  readonly tokenizer: TokenizerSpec;
  readonly inputs: ModelInputNames;
  /** the graph output to read; undefined means the model's first output */
  readonly output: string | undefined;
}

/** A model folder whose codescout-model.json is missing, unreadable or invalid. */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

const DEFAULT_INPUTS: ModelInputNames = { ids: 'input_ids', mask: 'attention_mask', typeIds: 'token_type_ids' };
const ID_PATTERN = /^[A-Za-z0-9._-]+$/;

/** Reads and validates `modelDir`/codescout-model.json and checks that the files it names exist. */
export async function loadModelConfig(modelDir: string): Promise<ModelConfig> {
  const configPath = path.join(modelDir, MODEL_CONFIG_FILE);
  if (!existsSync(configPath)) {
    throw new ModelConfigError(`${modelDir} is not a model folder: it has no ${MODEL_CONFIG_FILE}`);
  }
  let json: Record<string, unknown>;
  try {
    json = await readJsonObject(configPath);
  } catch (err) {
    throw new ModelConfigError((err as Error).message);
  }
  const config = parseModelConfig(new Fields(json, configPath));
  for (const [key, file] of [['onnx', config.onnx], ['tokenizer.file', config.tokenizer.file]]) {
    if (!existsSync(path.resolve(modelDir, file))) {
      throw new ModelConfigError(`${configPath}: "${key}" names ${file}, which is not in ${modelDir}`);
    }
  }
  return config;
}

function parseModelConfig(fields: Fields): ModelConfig {
  fields.allowOnly([
    'format', 'id', 'description', 'onnx', 'dimension', 'maxTokens', 'pooling', 'normalize',
    'queryPrefix', 'documentPrefix', 'tokenizer', 'inputs', 'output',
  ]);
  const format = fields.number('format');
  if (format !== 1) {
    throw fields.error('format', `must be 1 (the only format this version reads), got ${format}`);
  }
  const id = fields.string('id');
  if (!ID_PATTERN.test(id)) {
    throw fields.error('id', `may hold only letters, digits, ".", "_" and "-", got ${JSON.stringify(id)}`);
  }
  return {
    format,
    id,
    description: fields.string('description', ''),
    onnx: fields.string('onnx'),
    dimension: fields.positiveInteger('dimension'),
    maxTokens: fields.positiveInteger('maxTokens'),
    pooling: fields.oneOf('pooling', POOLINGS),
    normalize: fields.boolean('normalize', true),
    queryPrefix: fields.string('queryPrefix', ''),
    documentPrefix: fields.string('documentPrefix', ''),
    tokenizer: parseTokenizerSpec(fields.object('tokenizer')),
    inputs: parseInputNames(fields.optionalObject('inputs')),
    output: fields.optionalString('output'),
  };
}

function parseTokenizerSpec(fields: Fields): TokenizerSpec {
  fields.allowOnly(['kind', 'file', 'options']);
  const kind = fields.string('kind');
  if (!isTokenizerKind(kind)) {
    throw fields.error('kind', `must be one of ${quoteAll(TOKENIZER_KINDS)}, got ${JSON.stringify(kind)}`);
  }
  return { kind, file: fields.string('file'), options: fields.optionalObject('options')?.values ?? {} };
}

function parseInputNames(fields: Fields | undefined): ModelInputNames {
  if (!fields) {
    return DEFAULT_INPUTS;
  }
  fields.allowOnly(['ids', 'mask', 'typeIds']);
  return {
    ids: fields.string('ids', DEFAULT_INPUTS.ids),
    mask: fields.string('mask', DEFAULT_INPUTS.mask),
    typeIds: fields.string('typeIds', DEFAULT_INPUTS.typeIds),
  };
}

/** Typed reads of one JSON object's fields; errors name the file and the dotted key. */
class Fields {
  constructor(
    readonly values: Readonly<Record<string, unknown>>,
    private readonly file: string,
    private readonly keyPrefix = '',
  ) {}

  error(key: string, problem: string): ModelConfigError {
    return new ModelConfigError(`${this.file}: "${this.keyPrefix}${key}" ${problem}`);
  }

  allowOnly(keys: readonly string[]): void {
    const unknown = Object.keys(this.values).find((key) => !keys.includes(key));
    if (unknown !== undefined) {
      throw this.error(unknown, `is not a known key (known: ${quoteAll(keys)})`);
    }
  }

  string(key: string, fallback?: string): string {
    return this.read(key, 'a string', (v): v is string => typeof v === 'string', fallback);
  }

  optionalString(key: string): string | undefined {
    return this.get(key) === undefined ? undefined : this.string(key);
  }

  number(key: string): number {
    return this.read(key, 'a number', (v): v is number => typeof v === 'number');
  }

  positiveInteger(key: string): number {
    return this.read(key, 'a positive integer', (v): v is number => Number.isInteger(v) && (v as number) > 0);
  }

  boolean(key: string, fallback: boolean): boolean {
    return this.read(key, 'true or false', (v): v is boolean => typeof v === 'boolean', fallback);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    return this.read(key, `one of ${quoteAll(allowed)}`, (v): v is T => allowed.includes(v as T));
  }

  object(key: string): Fields {
    const value = this.read(key, 'an object', isPlainObject);
    return new Fields(value, this.file, `${this.keyPrefix}${key}.`);
  }

  optionalObject(key: string): Fields | undefined {
    return this.get(key) === undefined ? undefined : this.object(key);
  }

  /** The file's own value of `key`: never one inherited from `Object.prototype`. */
  private get(key: string): unknown {
    return Object.hasOwn(this.values, key) ? this.values[key] : undefined;
  }

  private read<T>(key: string, expected: string, isValid: (v: unknown) => v is T, fallback?: T): T {
    const value = this.get(key);
    if (value === undefined) {
      if (fallback === undefined) {
        throw this.error(key, `is missing (expected ${expected})`);
      }
      return fallback;
    }
    if (!isValid(value)) {
      throw this.error(key, `must be ${expected}, got ${JSON.stringify(value)}`);
    }
    return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quoteAll(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}
