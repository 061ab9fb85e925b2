import type { FolderHit } from '../../src/protocol/protocol';

/** One ordinary search hit, as the engine process sends it, for tests to vary with a spread. */
export const SOME_HIT: FolderHit = {
  root: '/w',
  path: 'src/a.py',
  startLine: 1,
  endLine: 2,
  name: 'abc',
  kind: 'function',
  score: 1,
  matchedBy: 'lexical',
  language: 'python',
  signature: 'def abc():',
  snippet: 'return 1',
};
