/**
 * The queries the editor's palette is asked in the benchmarks of searches while a folder indexes
 * (bench/editor.ts through test/e2e/bench/editor-bench.ts, and bench/engine-while-indexing.ts):
 * behaviour, identifiers and mixtures, over the large corpus's languages.
 */
export const PALETTE_QUERIES: readonly string[] = [
  'parse a json configuration file',
  'read all lines of a file',
  'compress data with zlib',
  'HashMap',
  'convert a string to lower case',
  'open a socket connection to a host',
  'sort a list of numbers',
  'format a date as a string',
  'base64 encode bytes',
  'thread pool executor',
];
