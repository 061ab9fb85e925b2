/** The codicon shown for each chunk kind (see the engine's ChunkKind). */
const ICONS = new Map<string, string>([
  ['function', 'symbol-function'],
  ['method', 'symbol-method'],
  ['constructor', 'symbol-constructor'],
  ['destructor', 'symbol-method'],
  ['class', 'symbol-class'],
  ['interface', 'symbol-interface'],
  ['struct', 'symbol-struct'],
  ['enum', 'symbol-enum'],
  ['trait', 'symbol-interface'],
  ['impl', 'symbol-namespace'],
  ['module', 'symbol-module'],
  ['type', 'symbol-type-parameter'],
  ['window', 'symbol-file'],
]);

export function kindIcon(kind: string): string {
  return ICONS.get(kind) ?? 'symbol-misc';
}
