import type { Node } from 'web-tree-sitter';

/**
 * The name a C or C++ function definition declares, found inside its declarator (the
 * `@declarator` capture of languages.ts). C nests the name under pointer, reference, array and
 * parenthesised declarators, and a function that returns a function pointer has its own function
 * declarator inside another: `void (*handler(int sig))(int)` declares `handler`, and
 * `int (*table(void))[4]` declares `table`. The innermost declarator is the name (an identifier,
 * a `::`-qualified name, an `operator…` name, a destructor's name).
 *
 * The chain must pass a function declarator or end at a conversion operator (`operator int()`),
 * else the node is not a function's definition (tree-sitter reads some macro uses as one) and
 * there is no name.
 */
export function declaredName(declarator: Node): Node | undefined {
  let node: Node | null = declarator;
  let isFunction = false;
  // the depth is bounded by the declarator's nesting in the source; the cap guards a pathological tree
  for (let steps = 0; node && steps < MAX_DECLARATOR_DEPTH; steps++) {
    switch (node.type) {
      case 'function_declarator':
        isFunction = true;
        node = node.childForFieldName('declarator');
        break;
      case 'pointer_declarator':
      case 'array_declarator':
        node = node.childForFieldName('declarator');
        break;
      case 'parenthesized_declarator':
      case 'reference_declarator':
      case 'attributed_declarator':
        node = innerDeclarator(node);
        break;
      case 'operator_cast':
        return node;
      case 'qualified_identifier':
        return isFunction || endsInConversion(node) ? node : undefined;
      default:
        return isFunction ? node : undefined;
    }
  }
  return undefined;
}

const MAX_DECLARATOR_DEPTH = 64;

/** Children of a declarator that qualify it rather than being the declarator it wraps. */
const DECLARATOR_MODIFIERS: ReadonlySet<string> = new Set(['ms_call_modifier', 'attribute_declaration', 'comment']);

/** The declarator that a parenthesised, reference or attributed declarator wraps: its first other named child. */
function innerDeclarator(node: Node): Node | null {
  return node.namedChildren.find((child) => !DECLARATOR_MODIFIERS.has(child.type)) ?? null;
}

/** `Value::operator double` declares a conversion operator, which has no function declarator of its own. */
function endsInConversion(node: Node): boolean {
  let current: Node | null = node;
  while (current?.type === 'qualified_identifier') current = current.childForFieldName('name');
  return current?.type === 'operator_cast';
}
