/** Where `value` is among the `length` strictly ascending `values` from `from` (a binary search), or -1. */
export function findAscending(values: Uint32Array, length: number, value: number, from = 0): number {
  let low = from;
  let high = from + length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = values[mid];
    if (at === value) return mid;
    if (at < value) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}

/** How many of the `values`, ascending, are below `value` (a binary search). */
export function countBelow(values: Uint32Array, value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (values[mid] < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
