/**
 * Labels of a vector index that hold the same vector, and which of them holds it in the graph.
 *
 * A workspace repeats code: vendored copies, generated files, boilerplate. On the 100k-function
 * benchmark corpus, 13,802 of 116,538 chunks had a vector that another chunk had too. hnswlib puts
 * each copy in a node of its own, and copies of one vector are each other's nearest neighbours (at
 * distance 0): they fill each other's neighbour lists, other nodes' links to them are pruned, and
 * the graph falls apart around them. That index had 619 nodes its searches could not reach, and
 * found 0.939 of the exact top 10; one node per distinct vector found 0.991 (BENCHMARKS.md,
 * `bench/vector-duplicates.ts`).
 *
 * So the graph holds one node per distinct vector, labelled by one of the labels that hold it, its
 * owner; the others are its aliases, found in a search through it. An owner is always a live label
 * that is no alias, and its node holds the vector its aliases hold. A twin is found by a hash of
 * the vector's stored form ({@link vectorHash}), which the caller checks against the vector itself.
 */

import { ByteReader } from './bytes';
import { IndexCorruptError } from './errors';
import { VectorHashes } from './vector-hashes';

const NONE: readonly number[] = [];

/**
 * A flag of the vector file: its graph was built before labels shared nodes (format 4) and has not
 * been built again since, so it may hold copies of a vector in nodes of their own.
 */
export const GRAPH_MAY_HOLD_COPIES = 1;

/** FNV-1a over the float32 bits of a vector in its stored form: equal vectors, equal hashes. */
export function vectorHash(unit: Float32Array): number {
  const words = new Uint32Array(unit.buffer, unit.byteOffset, unit.length);
  let hash = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    hash = Math.imul(hash ^ (word & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (word >>> 16), 0x01000193);
  }
  return hash >>> 0;
}

/** Whether two vectors in the stored form are the same, bit for bit. */
export function sameVector(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** An owner and its aliases, in no order (an alias leaves by swapping the last one into its place). */
interface Group {
  owner: number;
  aliases: number[];
}

export class SharedVectors {
  /** alias → its group, whose owner's node holds its vector */
  private readonly groupOf = new Map<number, Group>();
  /** alias → where it is in its group's list */
  private readonly at = new Map<number, number>();
  /** owner → its group (only owners with aliases) */
  private readonly groups = new Map<number, Group>();
  /**
   * a vector's hash → a label that held such a vector when it was recorded. It may have been
   * removed, changed or become an alias since: {@link candidate}'s caller checks.
   */
  private hashes = new VectorHashes();

  /** How many labels are aliases (the index's labels less its graph's live nodes). */
  get aliasCount(): number {
    return this.groupOf.size;
  }

  isAlias(label: number): boolean {
    return this.groupOf.has(label);
  }

  /** The label whose node holds `label`'s vector: its owner, or itself. */
  ownerOf(label: number): number {
    return this.groupOf.get(label)?.owner ?? label;
  }

  /** The aliases of an owner (none for any other label), valid until the next change. */
  aliasesOf(owner: number): readonly number[] {
    return this.groups.get(owner)?.aliases ?? NONE;
  }

  /** Every alias, with its owner. */
  *entries(): IterableIterator<[number, number]> {
    for (const [alias, group] of this.groupOf) yield [alias, group.owner];
  }

  /** Makes `label`, and its own aliases if it had any, aliases of `owner`. */
  link(label: number, owner: number): void {
    if (label === owner || this.groupOf.has(owner)) throw new Error(`label ${label} cannot share the vector of ${owner}`);
    this.unlink(label);
    let group = this.groups.get(owner);
    if (group === undefined) {
      group = { owner, aliases: [] };
      this.groups.set(owner, group);
    }
    const joining = [label, ...(this.groups.get(label)?.aliases ?? NONE)];
    this.groups.delete(label);
    for (const alias of joining) {
      this.groupOf.set(alias, group);
      this.at.set(alias, group.aliases.length);
      group.aliases.push(alias);
    }
  }

  /** Makes an alias a label of its own (nothing for a label that is no alias). */
  unlink(label: number): void {
    const group = this.groupOf.get(label);
    if (group === undefined) return;
    const index = this.at.get(label)!;
    const last = group.aliases.pop()!;
    if (last !== label) {
      group.aliases[index] = last;
      this.at.set(last, index);
    }
    this.groupOf.delete(label);
    this.at.delete(label);
    if (group.aliases.length === 0) this.groups.delete(group.owner);
  }

  /**
   * Hands an owner's aliases to one of them, which becomes their owner, and returns it (undefined
   * for a label without aliases): before the owner is removed, or its vector changed. The heir is
   * the alias last in the list, the latest to join unless others left since: a refresh removes a
   * file's chunks in the order they were added, so the heir is seldom removed before the others
   * and the group changes hands about once (each change gives the heir a graph node).
   */
  promote(owner: number): number | undefined {
    const group = this.groups.get(owner);
    if (group === undefined) return undefined;
    this.groups.delete(owner);
    const heir = group.aliases.pop()!;
    this.groupOf.delete(heir);
    this.at.delete(heir);
    group.owner = heir;
    if (group.aliases.length > 0) this.groups.set(heir, group);
    return heir;
  }

  /** The label last recorded with this hash, if any: it may no longer hold such a vector. */
  candidate(hash: number): number | undefined {
    return this.hashes.get(hash);
  }

  /** Records that `owner` holds a vector of this hash. */
  remember(hash: number, owner: number): void {
    this.hashes.set(hash, owner);
  }

  /** Forgets that `label` holds a vector of this hash, if that is what is recorded for it. */
  forget(hash: number, label: number): void {
    if (this.hashes.get(hash) === label) this.hashes.delete(hash);
  }

  /** How many hashes are recorded, those of labels gone since included. */
  get hashCount(): number {
    return this.hashes.size;
  }

  /** Forgets the hashes recorded for labels that `isOwner` no longer accepts (removed ones, aliases). */
  forgetStale(isOwner: (label: number) => boolean): void {
    this.hashes.compact(isOwner);
  }

  /**
   * The aliases, then the hashes of the owners `isOwner` accepts, as the vector file keeps them:
   * flags (u32: {@link GRAPH_MAY_HOLD_COPIES}, `copiesInGraph`); a count (u32), then (alias,
   * owner) pairs (u32 each); a count, then (hash, owner) pairs, sorted by hash. The hashes of
   * labels it does not accept are forgotten here too ({@link forgetStale}).
   */
  encode(isOwner: (label: number) => boolean, copiesInGraph: boolean): Uint8Array {
    const hashes = this.hashes.compact(isOwner);
    const words = new Uint32Array(3 + 2 * this.groupOf.size + hashes.length);
    let at = 0;
    words[at++] = copiesInGraph ? GRAPH_MAY_HOLD_COPIES : 0;
    words[at++] = this.groupOf.size;
    for (const [alias, group] of this.groupOf) {
      words[at++] = alias;
      words[at++] = group.owner;
    }
    words[at++] = hashes.length / 2;
    words.set(hashes, at);
    return new Uint8Array(words.buffer);
  }

  /**
   * Reads what {@link encode} wrote, checking each alias and its owner against the index's live
   * labels (`isLive`): {@link IndexCorruptError} for unknown flags, an alias or owner not live, an
   * alias listed twice, or an owner that is an alias itself. The hashes are kept as read until
   * first needed (vector-hashes.ts), and sorted then if a build before they were sorted wrote them.
   * `copiesInGraph`: the flag {@link encode} was given.
   */
  static decode(reader: ByteReader, isLive: (label: number) => boolean, what: string): { shared: SharedVectors; copiesInGraph: boolean } {
    const shared = new SharedVectors();
    const flags = reader.u32();
    if ((flags & ~GRAPH_MAY_HOLD_COPIES) !== 0) throw new IndexCorruptError(`${what} has unknown flags (${flags})`);
    const pairs = reader.uint32s(2 * reader.u32());
    for (let i = 0; i < pairs.length; i += 2) {
      const [alias, owner] = [pairs[i], pairs[i + 1]];
      if (!isLive(alias) || !isLive(owner) || alias === owner) throw new IndexCorruptError(`${what} shares the vector of label ${owner} with label ${alias}, which it cannot`);
      if (shared.groupOf.has(alias)) throw new IndexCorruptError(`${what} lists label ${alias} as sharing a vector twice`);
      let group = shared.groups.get(owner);
      if (group === undefined) {
        group = { owner, aliases: [] };
        shared.groups.set(owner, group);
      }
      shared.groupOf.set(alias, group);
      shared.at.set(alias, group.aliases.length);
      group.aliases.push(alias);
    }
    for (const owner of shared.groups.keys()) {
      if (shared.groupOf.has(owner)) throw new IndexCorruptError(`${what} gives label ${owner} both a vector of its own to share and another's`);
    }
    shared.hashes = new VectorHashes(reader.uint32s(2 * reader.u32()));
    return { shared, copiesInGraph: (flags & GRAPH_MAY_HOLD_COPIES) !== 0 };
  }
}
