/**
 * A vector's hash → the label recorded as holding such a vector (shared-vectors.ts), kept so that
 * a change costs little: the pairs as the vector file keeps them, sorted by hash in one typed array
 * searched by bisection, and the changes since in a `Map` beside it, folded into the array when the
 * index is written ({@link VectorHashes.compact}). Nothing is looked at until the first lookup or
 * change, so a process that only searches pays nothing for them.
 *
 * Before, every pair went into a `Map` on the first change a process made: about 20 ms and 7 MB at
 * 100k vectors, in the editor's engine and in every CLI process that changed the index.
 */

/** A saved hash forgotten since: its entry in {@link VectorHashes.changed}. */
const GONE = -1;

export class VectorHashes {
  /** (hash, label) pairs as given, until they are first needed (then sorted, see {@link sorted}) */
  private given: Uint32Array | undefined;
  /** (hash, label) pairs, sorted by hash, each hash once */
  private sortedPairs: Uint32Array = new Uint32Array(0);
  /** hash → label set since the pairs were sorted, or {@link GONE} for a sorted hash forgotten since */
  private readonly changed = new Map<number, number>();
  private count = 0;

  /**
   * `pairs`: (hash, label) pairs, in any order (a file written before they were kept sorted holds
   * them in the order they were recorded); a hash given twice keeps its last label.
   */
  constructor(pairs?: Uint32Array) {
    this.given = pairs !== undefined && pairs.length > 0 ? pairs : undefined;
  }

  /** The pairs sorted by hash: those given, checked (about 0.2 ms at 100k) or sorted (about 20 ms) the first time. */
  private get sorted(): Uint32Array {
    if (this.given !== undefined) {
      const given = this.given;
      this.given = undefined;
      this.sortedPairs = isSortedUnique(given) ? given : sortPairs(given);
      this.count = this.sortedPairs.length / 2;
    }
    return this.sortedPairs;
  }

  /** How many hashes are recorded. */
  get size(): number {
    void this.sorted; // a hash given twice counts once
    return this.count;
  }

  get(hash: number): number | undefined {
    const changed = this.changed.get(hash);
    if (changed !== undefined) return changed === GONE ? undefined : changed;
    return this.savedLabel(hash);
  }

  set(hash: number, label: number): void {
    if (this.get(hash) === undefined) this.count++;
    this.changed.set(hash, label);
  }

  delete(hash: number): void {
    if (this.get(hash) === undefined) return;
    this.count--;
    if (this.savedLabel(hash) === undefined) this.changed.delete(hash);
    else this.changed.set(hash, GONE);
  }

  /**
   * Keeps only the pairs whose label `keep` accepts, as one sorted array again (the changes folded
   * in), and returns that array; it is what the index keeps until the next change, so the caller
   * must not modify it.
   */
  compact(keep: (label: number) => boolean): Uint32Array {
    const saved = this.sorted;
    const changed = this.changed;
    // the changed hashes in order: a typed array sorts numbers natively (an array of pairs with a compare function was 5 times slower)
    const hashes = Float64Array.from(changed.keys()).sort();
    const out = new Uint32Array(2 * this.count);
    let n = 0;
    let c = 0;
    const put = (hash: number, label: number) => {
      if (label === GONE || !keep(label)) return;
      out[n++] = hash;
      out[n++] = label;
    };
    for (let i = 0; i < saved.length; i += 2) {
      const hash = saved[i];
      for (; c < hashes.length && hashes[c] < hash; c++) put(hashes[c], changed.get(hashes[c])!);
      if (c < hashes.length && hashes[c] === hash) put(hash, changed.get(hashes[c++])!);
      else put(hash, saved[i + 1]);
    }
    for (; c < hashes.length; c++) put(hashes[c], changed.get(hashes[c])!);
    this.sortedPairs = out.slice(0, n);
    changed.clear();
    this.count = n / 2;
    return this.sortedPairs;
  }

  /** The label the sorted pairs give `hash`, if any. */
  private savedLabel(hash: number): number | undefined {
    const pairs = this.sorted;
    let lo = 0;
    let hi = pairs.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const h = pairs[2 * mid];
      if (h === hash) return pairs[2 * mid + 1];
      if (h < hash) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }
}

function isSortedUnique(pairs: Uint32Array): boolean {
  for (let i = 2; i < pairs.length; i += 2) if (pairs[i] <= pairs[i - 2]) return false;
  return true;
}

/** The pairs sorted by hash; of a hash given twice, its last label (as a `Map` filled in order keeps). */
function sortPairs(pairs: Uint32Array): Uint32Array {
  const n = pairs.length / 2;
  // hash in the high half, position in the low: sorting keeps a hash's pairs in the order given
  const keys = new BigUint64Array(n);
  for (let i = 0; i < n; i++) keys[i] = (BigInt(pairs[2 * i]) << 32n) | BigInt(i);
  keys.sort();
  const out = new Uint32Array(2 * n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = Number(keys[k] & 0xffffffffn);
    const hash = pairs[2 * i];
    if (m > 0 && out[m - 2] === hash) m -= 2; // the later pair of a hash replaces the earlier
    out[m++] = hash;
    out[m++] = pairs[2 * i + 1];
  }
  return out.slice(0, m);
}
