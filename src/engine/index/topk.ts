/** Selection of the k best scored ids without sorting every candidate. */

export interface ScoredId {
  id: number;
  score: number;
}

/**
 * Keeps the `k` best (id, score) pairs seen, in a min-heap whose root is the worst kept pair.
 * Higher scores are better; equal scores are ordered by ascending id so results are deterministic.
 *
 * With `keepTies`, every pair whose score equals the k-th best is kept too (so more than `k` may
 * come back): which pairs are kept then depends on the scores alone, not on the ids, which differ
 * between two indexes of the same files built in another order. Candidate retrieval uses it, so
 * that an index resumed after a crash ranks like one built in one go.
 */
export class TopK {
  private readonly ids: number[] = [];
  private readonly scores: number[] = [];
  /** with keepTies: pairs outside the heap whose score equals the heap's worst */
  private tiedIds: number[] = [];

  constructor(
    private readonly k: number,
    private readonly keepTies = false,
  ) {}

  /** Whether a candidate would be kept; lets callers skip expensive checks for hopeless candidates. */
  admits(id: number, score: number): boolean {
    if (this.k <= 0) return false;
    if (this.ids.length < this.k) return true;
    return this.keepTies ? score >= this.scores[0] : isBetter(id, score, this.ids[0], this.scores[0]);
  }

  /** Offers a candidate; it is kept if it is among the `k` best so far (or, with keepTies, tied with the k-th). */
  push(id: number, score: number): void {
    if (!this.admits(id, score)) return;
    if (this.ids.length < this.k) {
      this.ids.push(id);
      this.scores.push(score);
      this.siftUp(this.ids.length - 1);
      return;
    }
    if (this.keepTies && score === this.scores[0] && !isBetter(id, score, this.ids[0], this.scores[0])) {
      this.tiedIds.push(id);
      return;
    }
    const [evictedId, evictedScore] = [this.ids[0], this.scores[0]];
    this.ids[0] = id;
    this.scores[0] = score;
    this.siftDown(0);
    if (this.keepTies) {
      const worst = this.scores[0];
      if (worst !== evictedScore) this.tiedIds = [];
      else this.tiedIds.push(evictedId);
    }
  }

  /** The kept pairs, best first. */
  sorted(): ScoredId[] {
    const worst = this.scores[0];
    return this.ids
      .map((id, i) => ({ id, score: this.scores[i] }))
      .concat(this.tiedIds.map((id) => ({ id, score: worst })))
      .sort((a, b) => (isBetter(a.id, a.score, b.id, b.score) ? -1 : 1));
  }

  private siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.isWorse(child, parent)) break;
      this.swap(child, parent);
      child = parent;
    }
  }

  private siftDown(index: number): void {
    const size = this.ids.length;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let worst = parent;
      if (left < size && this.isWorse(left, worst)) worst = left;
      if (right < size && this.isWorse(right, worst)) worst = right;
      if (worst === parent) return;
      this.swap(parent, worst);
      parent = worst;
    }
  }

  private isWorse(a: number, b: number): boolean {
    return isBetter(this.ids[b], this.scores[b], this.ids[a], this.scores[a]);
  }

  private swap(a: number, b: number): void {
    [this.ids[a], this.ids[b]] = [this.ids[b], this.ids[a]];
    [this.scores[a], this.scores[b]] = [this.scores[b], this.scores[a]];
  }
}

function isBetter(idA: number, scoreA: number, idB: number, scoreB: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && idA < idB);
}
