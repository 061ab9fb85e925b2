/**
 * The indexed definitions of one folder, looked up by file and by name: what hovers need to
 * tell a definition's name from any other word and to resolve a name without a language server.
 */
import type { DefinitionSite } from '../engine/engine';

export class DefinitionMap {
  private readonly byPath = new Map<string, DefinitionSite[]>();
  private readonly byName = new Map<string, DefinitionSite[]>();

  /** Indexes `sites` (Engine.definitions()); the windows of a long definition become one site. */
  constructor(sites: Iterable<DefinitionSite>) {
    const byPath = new Map<string, DefinitionSite[]>();
    for (const site of sites) {
      const list = byPath.get(site.path);
      if (list) list.push(site);
      else byPath.set(site.path, [site]);
    }
    for (const [path, list] of byPath) {
      const merged = mergeWindows(list);
      this.byPath.set(path, merged);
      for (const site of merged) {
        const named = this.byName.get(site.name);
        if (named) named.push(site);
        else this.byName.set(site.name, [site]);
      }
    }
  }

  /** The definitions of a file, by start line. */
  inFile(path: string): readonly DefinitionSite[] {
    return this.byPath.get(path) ?? [];
  }

  /** The definitions with exactly this name, in any file. */
  named(name: string): readonly DefinitionSite[] {
    return this.byName.get(name) ?? [];
  }
}

/** Sorts by start line and joins consecutive windows of one definition (same name, kind, container and header). */
function mergeWindows(sites: DefinitionSite[]): DefinitionSite[] {
  const sorted = [...sites].sort((a, b) => a.startLine - b.startLine || b.endLine - a.endLine);
  const out: DefinitionSite[] = [];
  for (const site of sorted) {
    const last = out[out.length - 1];
    if (last && sameDefinition(last, site) && site.startLine <= last.endLine + 1) {
      out[out.length - 1] = { ...last, endLine: Math.max(last.endLine, site.endLine) };
    } else {
      out.push(site);
    }
  }
  return out;
}

function sameDefinition(a: DefinitionSite, b: DefinitionSite): boolean {
  return a.name === b.name && a.kind === b.kind && a.container === b.container && a.signature === b.signature;
}
