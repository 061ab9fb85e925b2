/**
 * Vectors in int8, as the index stores them on disk: the embedding cache (embedding-cache.ts) and
 * the graph file (graph-file.ts). Each vector is a scale (float32) and one code a component, in
 * -127..127; the value of a component is its code times the scale, rounded to float32.
 */

/** The largest int8 code a component is given (the code range is symmetric: -127..127). */
export const CODE_MAX = 127;
/** The smallest normal float32, 2^-126. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/** A vector in int8: its codes and the scale that turns them back into values. */
export interface Quantized {
  scale: number;
  codes: Int8Array;
}

/**
 * The codes of `vector`, each component rounded to the nearest multiple of its largest magnitude / 127,
 * written to `codes` (a new array when not given), and that step, the scale: 0 (and every code 0) for
 * a vector with no component above 1.5e-36, whose step would be below float32's normal range.
 */
export function quantize(vector: ArrayLike<number>, codes: Int8Array = new Int8Array(vector.length)): Quantized {
  let max = 0;
  for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]));
  const scale = max / CODE_MAX >= FLOAT32_MIN_NORMAL ? Math.fround(max / CODE_MAX) : 0;
  if (scale > 0) {
    for (let i = 0; i < vector.length; i++) codes[i] = Math.max(-CODE_MAX, Math.min(CODE_MAX, Math.round(vector[i] / scale)));
  } else {
    codes.fill(0, 0, vector.length);
  }
  return { scale, codes };
}

/** The values of `codes` at `scale`, written to `out` (a new array when not given). */
export function dequantize(scale: number, codes: ArrayLike<number>, out: Float32Array = new Float32Array(codes.length)): Float32Array {
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] * scale;
  return out;
}

/**
 * The scale that gives `codes` unit length: 1 / their Euclidean norm (0 for all-zero codes). A unit
 * vector kept as its {@link quantize} codes at this scale keeps unit length (to float32 rounding)
 * and, where it was the normalised form of a cached vector (codes × some scale, normalised), comes
 * back as that vector to within float32 rounding: the same codes, the same direction.
 */
export function unitScale(codes: ArrayLike<number>): number {
  let squares = 0;
  for (let i = 0; i < codes.length; i++) squares += codes[i] * codes[i];
  return squares === 0 ? 0 : Math.fround(1 / Math.sqrt(squares));
}

/**
 * A unit vector in the form the vector index stores it (vector-index.ts): its {@link quantize} codes
 * at the {@link unitScale}, written over `unit`, which it returns. The form is kept by a graph file in
 * int8 exactly (graph-file.ts), and taking it again changes nothing: the same codes, the same scale.
 */
export function toInt8Unit(unit: Float32Array, codes: Int8Array = new Int8Array(unit.length)): Float32Array {
  quantize(unit, codes);
  return dequantize(unitScale(codes), codes.subarray(0, unit.length), unit);
}
