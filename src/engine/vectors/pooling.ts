import type { Pooling } from './model-config';

/** A model output read back from onnxruntime: row-major floats and their shape. */
export interface OutputTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * One vector per sequence of a batch. `lengths[b]` is the number of real (unpadded) tokens of
 * sequence b; `mean` averages only those positions. `none` expects the output shape `[batch, dim]`,
 * the other poolings `[batch, seq, dim]`. The vectors are fresh copies, not views of `output.data`.
 */
export function pool(output: OutputTensor, pooling: Pooling, lengths: readonly number[]): Float32Array[] {
  if (pooling === 'none') {
    const [batch, dim] = output.dims as [number, number];
    return Array.from({ length: batch }, (_, b) => output.data.slice(b * dim, (b + 1) * dim));
  }
  const [batch, seq, dim] = output.dims as [number, number, number];
  return Array.from({ length: batch }, (_, b) => {
    const tokens = output.data.subarray(b * seq * dim, (b + 1) * seq * dim);
    return pooling === 'cls' ? tokens.slice(0, dim) : meanOfRows(tokens, lengths[b], dim);
  });
}

/** Scales `vector` in place to unit length; a zero vector, which has no direction, is left as it is. */
export function normalizeL2(vector: Float32Array): void {
  let sumOfSquares = 0;
  for (const x of vector) {
    sumOfSquares += x * x;
  }
  const norm = Math.sqrt(sumOfSquares);
  if (norm > 0) {
    for (let i = 0; i < vector.length; i++) {
      vector[i] /= norm;
    }
  }
}

/** Mean of the first `count` rows of a row-major `[seq, dim]` block: the rows after them are padding. */
function meanOfRows(rows: Float32Array, count: number, dim: number): Float32Array {
  const sum = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let d = 0; d < dim; d++) {
      sum[d] += rows[r * dim + d];
    }
  }
  return Float32Array.from(sum, (x) => x / count);
}
