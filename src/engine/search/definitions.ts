import type { ChunkRecord } from '../catalog';
import { compact } from './query-kind';

/**
 * What makes chunks parts of one definition: the windows of a long definition share its path,
 * kind, container, name and signature (overloads differ by signature); a gap window is its own.
 */
export function definitionKey(c: ChunkRecord): string {
  return c.kind === 'window' ? `${c.id}` : `${c.path}\0${c.kind}\0${c.container ?? ''}\0${c.name}\0${c.signature}`;
}

/**
 * The chunks of `file` that are parts of the definition `source` is a part of: those with its
 * {@link definitionKey} whose lines run on from its own without a gap (a long definition's windows
 * follow one another, or overlap). Two definitions that share a key, such as the `#ifdef` and
 * `#else` versions of one C function, or a Python function defined in both branches of an `if`,
 * are told apart by the lines between them.
 */
export function partsOfDefinition(source: ChunkRecord, file: readonly ChunkRecord[]): Set<number> {
  const key = definitionKey(source);
  const same = file.filter((c) => c.id !== source.id && definitionKey(c) === key);
  same.push(source);
  same.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
  // runs of chunks whose lines touch, in order of their first line: each run is one definition
  let run = new Set<number>();
  let end = -Infinity;
  for (const c of same) {
    if (c.startLine > end + 1) {
      if (run.has(source.id)) return run;
      run = new Set<number>();
    }
    run.add(c.id);
    end = Math.max(end, c.endLine);
  }
  return run;
}

/** Whether two chunks of one file share lines or lie next to each other (a long definition's windows do). */
export function touching(a: ChunkRecord, b: ChunkRecord): boolean {
  return a.path === b.path && a.startLine <= b.endLine + 1 && b.startLine <= a.endLine + 1;
}

/**
 * Whether two chunks are parts of one definition: the same {@link definitionKey}, and lines that
 * touch, or (`apart`, when given) that it says are one definition's, for chunks of one key that lie
 * apart (the first and third windows of a long function, or an `#ifdef` version and its `#else`:
 * {@link partsOfDefinition} tells them apart). Without `apart`, one key is one definition.
 */
export function oneDefinition(a: ChunkRecord, b: ChunkRecord, apart?: (a: ChunkRecord, b: ChunkRecord) => boolean): boolean {
  if (a.id === b.id) return true;
  if (definitionKey(a) !== definitionKey(b)) return false;
  return touching(a, b) || apart === undefined || apart(a, b);
}

/**
 * The template a C++ specialisation's name specialises, in compact form (query-kind.ts `compact`):
 * `formatter<int, Char>` → `formatter`. The chunker names each specialisation with its arguments,
 * so that each is a definition of its own; it is still a definition of the template's name, a
 * weaker one than the template itself (RankingOptions.specializationMatch). Undefined for any
 * other name, operators included (`operator<=>`).
 */
export function specialized(name: string): string | undefined {
  if (!name.endsWith('>')) return undefined;
  const open = name.indexOf('<');
  if (open <= 0) return undefined;
  const base = name.slice(0, open).trimEnd();
  // an operator (`operator()<T>`, `operator<=>`) or a destructor (`~Foo<T>`) names no template
  if (/\s/.test(base) || /(^|::|\.)operator\b/.test(base) || base.startsWith('~')) return undefined;
  const template = compact(base);
  return template === '' ? undefined : template;
}
