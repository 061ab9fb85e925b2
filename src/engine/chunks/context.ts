import { Query, type Language, type Node, type QueryOptions, type Tree } from 'web-tree-sitter';
import type { LanguageSpec } from './languages';
import { errorMessage } from './runtime';

/**
 * What the definitions need to know about a node's parent and siblings, collected with queries.
 *
 * web-tree-sitter finds a node's parent (and so its previous and next sibling) by walking down
 * from the root, which costs the node's depth each time: asked for every definition of deeply
 * nested code (thousands of functions one inside the other), that is quadratic. A query visits
 * the tree once, and its matches name each wrapper with its children, each attribute with the
 * node right after it, and each body-less namespace with its parent.
 */

/**
 * How deep in the syntax tree queries look for definitions, comments and wrappers, in nodes.
 * The definitions of real code lie well within it (all of typescript.js's within 100), and
 * queries may not go deeper: a query walks every node down to its start depth, and past depth
 * 65,535 tree-sitter's query cursor (16-bit depths) slows to seconds per thousand nodes.
 * Definitions deeper than this are not chunks of their own; the chunks around them hold them.
 */
export const MAX_QUERY_NODE_DEPTH = 500;

/** The options of every query the chunker runs on a syntax tree. */
export const QUERY_OPTIONS: QueryOptions = { maxStartDepth: MAX_QUERY_NODE_DEPTH };

/** A wrapper node (decorators, `export`, `template<…>`) and how many named children of each type it has. */
interface Wrapper {
  node: Node;
  childTypes: Map<string, number>;
  /** its first named child */
  first?: Node;
}

/** The queries of one language; made once per process and language, like its definition query. */
export class ContextQueries {
  private readonly structure: Query | undefined;
  /** `(_ (T) @module) @parent` by node type T, compiled when a file first has a body-less module of that type */
  private readonly parentQueries = new Map<string, Query>();

  /** wrapper types that hold several declarators (LanguageSpec.listWrapperTypes) */
  private readonly listTypes: ReadonlySet<string>;

  constructor(
    private readonly language: Language,
    spec: LanguageSpec,
  ) {
    this.listTypes = new Set(spec.listWrapperTypes ?? []);
    const patterns = [
      ...(spec.wrapperTypes ?? []).map((type) => `(${type} (_) @child) @wrapper`),
      ...(spec.attributeTypes ?? []).map((type) => `((${type}) @attribute . (_) @attributed)`),
    ];
    try {
      this.structure = patterns.length > 0 ? new Query(language, patterns.join('\n')) : undefined;
    } catch (err) {
      throw new Error(`the ${spec.id} wrapper and attribute query does not compile: ${errorMessage(err)}`);
    }
  }

  /** The context of one syntax tree; valid while the tree lives. */
  contextOf(tree: Tree): TreeContext {
    return new TreeContext(tree, this.structure, (type) => this.parentQuery(type), this.listTypes);
  }

  private parentQuery(type: string): Query {
    let query = this.parentQueries.get(type);
    if (!query) {
      query = new Query(this.language, `(_ (${type}) @module) @parent`);
      this.parentQueries.set(type, query);
    }
    return query;
  }
}

/** Parent and sibling facts about the nodes of one tree, by node id. */
export class TreeContext {
  /** the wrapper that is a node's parent */
  private readonly wrapperOf = new Map<number, Wrapper>();
  /** the attribute node directly before a node, among its siblings */
  private readonly attributeBefore = new Map<number, Node>();
  /** for each body-less module node, by type and id: its parent's end and the starts of the same-type modules in that parent */
  private readonly modules = new Map<string, Map<number, ModuleSiblings>>();

  constructor(
    private readonly tree: Tree,
    structure: Query | undefined,
    private readonly parentQuery: (type: string) => Query,
    private readonly listTypes: ReadonlySet<string> = new Set(),
  ) {
    if (!structure) return;
    const wrappers = new Map<number, Wrapper>();
    for (const { captures } of structure.matches(tree.rootNode, QUERY_OPTIONS)) {
      const wrapper = captures.find((c) => c.name === 'wrapper')?.node;
      const child = captures.find((c) => c.name === 'child')?.node;
      if (wrapper && child) {
        let entry = wrappers.get(wrapper.id);
        if (!entry) wrappers.set(wrapper.id, (entry = { node: wrapper, childTypes: new Map() }));
        entry.childTypes.set(child.type, (entry.childTypes.get(child.type) ?? 0) + 1);
        if (!entry.first || child.startIndex < entry.first.startIndex) entry.first = child;
        this.wrapperOf.set(child.id, entry);
        continue;
      }
      const attribute = captures.find((c) => c.name === 'attribute')?.node;
      let attributed = captures.find((c) => c.name === 'attributed')?.node ?? null;
      // comments between an attribute and its item (`#[inline]` then `/// doc`) do not part them
      while (attributed?.isExtra) attributed = attributed.nextNamedSibling;
      if (attribute && attributed) this.attributeBefore.set(attributed.id, attribute);
    }
  }

  /**
   * Climbs through wrapper nodes (decorators, `export`, `template<…>`) that hold only this
   * definition: the outermost node that belongs to it.
   */
  outermost(node: Node): Node {
    let current = node;
    for (let wrapper = this.wrapperOf.get(current.id); wrapper; wrapper = this.wrapperOf.get(current.id)) {
      if (wrapper.childTypes.get(current.type) !== 1) break;
      current = wrapper.node;
    }
    return current;
  }

  /**
   * For a child of a list wrapper that holds several of its kind (`var a = function …, b = …`):
   * where the wrapper starts, climbed as far as it belongs to the list alone (`export`) and with
   * its attributes, where the keyword and the doc comment above are; and whether the node is the
   * list's first child. The first child starts there; a later one only when no definition and
   * nothing long comes before it in the list, which the caller decides (definitions.ts
   * `startLaterDeclarators`). Undefined for a node alone in its wrapper (which {@link outermost}
   * climbs) and in a wrapper of another kind.
   */
  listStart(node: Node): { start: number; first: boolean } | undefined {
    const wrapper = this.wrapperOf.get(node.id);
    if (!wrapper || wrapper.childTypes.get(node.type) === 1 || !this.listTypes.has(wrapper.node.type)) return undefined;
    return { start: this.attributesStart(this.outermost(wrapper.node)), first: wrapper.first?.id === node.id };
  }

  /**
   * The start of the attribute siblings (Rust `#[derive]`) directly before a node, comments
   * between them allowed, else the node's start.
   */
  attributesStart(node: Node): number {
    let start = node.startIndex;
    for (let attribute = this.attributeBefore.get(node.id); attribute; attribute = this.attributeBefore.get(attribute.id)) {
      start = attribute.startIndex;
    }
    return start;
  }

  /**
   * A namespace declared without a body (`namespace App;` in PHP, file-scoped in C#) contains
   * what follows it, up to the next such declaration of the same parent or the end of its parent.
   */
  bodilessScopeEnd(node: Node): number {
    const siblings = this.modulesOfType(node.type).get(node.id);
    if (!siblings) return node.endIndex;
    const { starts, parentEnd } = siblings;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < node.endIndex) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts.length ? starts[lo] : parentEnd;
  }

  /** The body-less module nodes of this type with their siblings (one query per type and tree). */
  private modulesOfType(type: string): Map<number, ModuleSiblings> {
    let modules = this.modules.get(type);
    if (!modules) {
      modules = new Map();
      const byParent = new Map<number, ModuleSiblings>();
      for (const { captures } of this.parentQuery(type).matches(this.tree.rootNode, QUERY_OPTIONS)) {
        const module = captures.find((c) => c.name === 'module')?.node;
        const parent = captures.find((c) => c.name === 'parent')?.node;
        if (!module || !parent) continue;
        let siblings = byParent.get(parent.id);
        if (!siblings) byParent.set(parent.id, (siblings = { parentEnd: parent.endIndex, starts: [] }));
        siblings.starts.push(module.startIndex);
        modules.set(module.id, siblings);
      }
      for (const siblings of byParent.values()) siblings.starts.sort((a, b) => a - b);
      this.modules.set(type, modules);
    }
    return modules;
  }
}

/** The same-type body-less modules of one parent. */
interface ModuleSiblings {
  parentEnd: number;
  /** their start indices, ascending */
  starts: number[];
}
