/** Where `value` is among the first `length` of strictly ascending `values` (a binary search), or -1. */
export function findAscending(values: Uint32Array, length: number, value: number): number {
  let low = 0;
  let high = length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = values[mid];
    if (at === value) return mid;
    if (at < value) low = mid + 1;
    else high = mid - 1;
  }
  return -1;
}
