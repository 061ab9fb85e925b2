/**
 * Where each label of a vector index lies: label → slot, for labels that are 32-bit unsigned
 * integers. A workspace's labels are its chunk ids, given out from 0 up, so they are dense: they are
 * kept in a table indexed by label (4 bytes a label up to the largest), which an index of 116k
 * vectors fills in about 1 ms from its file, where a `Map` took 43–48 ms, 5 MB and garbage to
 * collect. Labels far sparser than the entries they hold (more than {@link SPARSE_FACTOR} times
 * the entries, past {@link DENSE_MIN}) move everything to a `Map`, so that memory stays bounded by
 * the entries whatever the labels are.
 */

/** A table covers labels up to this many times the entries it holds (beyond {@link DENSE_MIN}). */
const SPARSE_FACTOR = 4;
/** Labels below this always fit the table: 256 KB. */
const DENSE_MIN = 65_536;

/** One more than the largest slot: a slot + 1 is kept in an Int32Array. */
const MAX_SLOT = 2 ** 31 - 1;

/** An integer from 0 to 2³²−1. */
function isLabel(label: number): boolean {
  return label >>> 0 === label;
}

export class LabelSlots {
  /** slot + 1 of each label below its length; 0: absent. Undefined once the labels went sparse. */
  private table: Int32Array | undefined = new Int32Array(1024);
  private map: Map<number, number> | undefined;
  private count = 0;

  get size(): number {
    return this.map?.size ?? this.count;
  }

  /** The table's length (labels it covers), or 0 when the labels are kept in a `Map` (tests). */
  get denseLength(): number {
    return this.table?.length ?? 0;
  }

  has(label: number): boolean {
    return this.get(label) !== undefined;
  }

  /** The slot of `label`; undefined for a label not held, and for anything that is not a label (−1, 1.5, NaN), as a `Map` answers. */
  get(label: number): number | undefined {
    if (this.map !== undefined) return this.map.get(label);
    const table = this.table!;
    const stored = isLabel(label) && label < table.length ? table[label] : 0;
    return stored === 0 ? undefined : stored - 1;
  }

  /** Sets the slot of `label` (an integer from 0 to 2³²−1) to `slot` (an integer from 0 to 2³¹−2); throws RangeError for others. */
  set(label: number, slot: number): void {
    if (!isLabel(label)) throw new RangeError(`a label is an integer from 0 to 2^32-1, got ${label}`);
    if (!(Number.isInteger(slot) && slot >= 0 && slot < MAX_SLOT)) throw new RangeError(`a slot is an integer from 0 to 2^31-2, got ${slot}`);
    if (this.map !== undefined) {
      this.map.set(label, slot);
      return;
    }
    let table = this.table!;
    if (label >= table.length) {
      if (label >= Math.max(DENSE_MIN, SPARSE_FACTOR * (this.count + 1))) {
        this.goSparse().set(label, slot);
        return;
      }
      const grown = new Int32Array(Math.max(label + 1, Math.min(2 * table.length, DENSE_MIN + SPARSE_FACTOR * (this.count + 1))));
      grown.set(table);
      this.table = table = grown;
    }
    if (table[label] === 0) this.count++;
    table[label] = slot + 1;
  }

  /**
   * Fills an empty table from `labels`, label `labels[slot]` at `slot`, sized once for the largest
   * label. Returns the slot of the first label listed twice (which is not set again), or -1.
   */
  load(labels: ArrayLike<number>): number {
    if (this.size !== 0) throw new Error('LabelSlots.load needs an empty table');
    if (this.map !== undefined) {
      // emptied after going sparse: start again from a table
      this.map = undefined;
      this.table = new Int32Array(1024);
    }
    let max = -1;
    for (let slot = 0; slot < labels.length; slot++) if (labels[slot] > max) max = labels[slot];
    if (max >= Math.max(DENSE_MIN, SPARSE_FACTOR * labels.length)) this.goSparse();
    else if (max >= this.table!.length) this.table = new Int32Array(max + 1);
    for (let slot = 0; slot < labels.length; slot++) {
      if (this.has(labels[slot])) return slot;
      this.set(labels[slot], slot);
    }
    return -1;
  }

  /** Removes `label`; false when it was absent. */
  delete(label: number): boolean {
    if (this.map !== undefined) return this.map.delete(label);
    const table = this.table!;
    if (!isLabel(label) || label >= table.length || table[label] === 0) return false;
    table[label] = 0;
    this.count--;
    return true;
  }

  /** Every label held (in ascending order while the table holds them). */
  *keys(): IterableIterator<number> {
    if (this.map !== undefined) {
      yield* this.map.keys();
      return;
    }
    const table = this.table!;
    for (let label = 0; label < table.length; label++) if (table[label] !== 0) yield label;
  }

  private goSparse(): Map<number, number> {
    const map = new Map<number, number>();
    const table = this.table!;
    for (let label = 0; label < table.length; label++) if (table[label] !== 0) map.set(label, table[label] - 1);
    this.table = undefined;
    this.map = map;
    return map;
  }
}
