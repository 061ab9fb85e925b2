/**
 * Vectors in int8, as the index stores them: the embedding cache (embedding-cache.ts), the graph
 * file (graph-file.ts) and the vector index's own array (vector-index.ts). Each vector is a scale (float32) and one code a component, in
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
  return dequantize(quantizeUnit(unit, codes), codes.subarray(0, unit.length), unit);
}

/** The stored form of the unit vector `unit` ({@link toInt8Unit}): its codes, written to `codes`, and their scale, returned. */
export function quantizeUnit(unit: ArrayLike<number>, codes: Int8Array): number {
  quantize(unit, codes);
  return unitScale(codes.subarray(0, unit.length));
}

/**
 * Unit vectors in the stored form ({@link toInt8Unit}), back to back: `dimension` codes and one
 * scale a slot, a quarter of float32's size. A slot holds exactly the vector put in it when that
 * one was in the stored form (the same codes, the same scale); another is put in that form.
 */
export class Int8Vectors {
  codes: Int8Array;
  scales: Float32Array;

  constructor(
    readonly dimension: number,
    capacity: number,
  ) {
    this.codes = new Int8Array(capacity * dimension);
    this.scales = new Float32Array(capacity);
  }

  /** How many slots it has room for. */
  get capacity(): number {
    return this.scales.length;
  }

  /** Puts `unit` (of unit length) in `slot`, in the stored form. */
  set(slot: number, unit: ArrayLike<number>): void {
    this.scales[slot] = quantizeUnit(unit, this.codes.subarray(slot * this.dimension, (slot + 1) * this.dimension));
  }

  /** The vector in `slot`, written to `out` (a new array when not given). */
  get(slot: number, out: Float32Array = new Float32Array(this.dimension)): Float32Array {
    return dequantize(this.scales[slot], this.codes.subarray(slot * this.dimension, (slot + 1) * this.dimension), out);
  }

  /**
   * The dot product of `query` with the vector in `slot`: the codes' with the query, times the
   * scale (equal to the product with {@link get}'s vector but for float rounding).
   */
  dot(slot: number, query: Float32Array): number {
    return dotStored(this.codes, slot * this.dimension, this.scales[slot], query);
  }

  /**
   * Whether `slot` holds a vector in the stored form, as {@link set} puts one there: codes in
   * -127..127, not all zero, at the scale that gives them unit length. (Not so only for bytes
   * this class did not write: a damaged file.)
   */
  holdsStoredForm(slot: number): boolean {
    const codes = this.codes.subarray(slot * this.dimension, (slot + 1) * this.dimension);
    if (codes.includes(-CODE_MAX - 1)) return false;
    const scale = unitScale(codes);
    return scale > 0 && Object.is(scale, this.scales[slot]);
  }

  /** Whether slots `a` and `b` hold the same vector: the same scale and codes. */
  sameSlots(a: number, b: number): boolean {
    if (!Object.is(this.scales[a], this.scales[b])) return false;
    const d = this.dimension;
    for (let j = 0; j < d; j++) if (this.codes[a * d + j] !== this.codes[b * d + j]) return false;
    return true;
  }

  /** Copies the vector in slot `from` to slot `to`. */
  move(from: number, to: number): void {
    this.codes.copyWithin(to * this.dimension, from * this.dimension, (from + 1) * this.dimension);
    this.scales[to] = this.scales[from];
  }

  /** Copies slots [first, end) of `other` (of the same dimension) into the same slots here. */
  copySlots(other: Int8Vectors, first: number, end: number): void {
    this.codes.set(other.codes.subarray(first * this.dimension, end * this.dimension), first * this.dimension);
    this.scales.set(other.scales.subarray(first, end), first);
  }

  /** The vectors of slots [first, end) as float32, back to back. */
  floats(first: number, end: number): Float32Array {
    const out = new Float32Array((end - first) * this.dimension);
    for (let slot = first; slot < end; slot++) this.get(slot, out.subarray((slot - first) * this.dimension, (slot - first + 1) * this.dimension));
    return out;
  }
}

/**
 * The dot product of `query` with a vector in the stored form, given as its codes (the
 * `query.length` starting at `offset` in `codes`) and their scale: the codes' product with the
 * query, times the scale. Every exact score of the vector index is computed so, whatever holds the
 * vector (the int8 array, the graph file on disk, a graph in memory), so that each gives the same
 * score bit for bit.
 */
export function dotStored(codes: Int8Array, offset: number, scale: number, query: Float32Array): number {
  return dot(codes, offset, query) * scale;
}

/**
 * The dot product of `query` with the `query.length` values starting at `offset` in `values`
 * (float32 components, or int8 codes). Four running sums break the dependency chain of one sum,
 * which makes an exact scan about 1.5× faster.
 */
export function dot(values: Float32Array | Int8Array, offset: number, query: Float32Array): number {
  const length = query.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < length; j += 4) {
    s0 += values[offset + j] * query[j];
    s1 += values[offset + j + 1] * query[j + 1];
    s2 += values[offset + j + 2] * query[j + 2];
    s3 += values[offset + j + 3] * query[j + 3];
  }
  for (; j < length; j++) s0 += values[offset + j] * query[j];
  return s0 + s1 + s2 + s3;
}
