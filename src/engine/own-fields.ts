/**
 * Reading an object that arrived from outside (a JSON-RPC request, a webview message, a command
 * link's argument, a small JSON file such as the index lock): only its own fields count, never one inherited from a prototype, so a field
 * named `constructor` or `__proto__` is simply absent unless the sender set it.
 */

/** A reader of one object's own fields: `undefined` for a field the object does not have itself. */
export type OwnFields = (key: string) => unknown;

/** The own-field reader of `value`, or `undefined` when it is not a plain (non-array) object. */
export function ownFields(value: unknown): OwnFields | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as { readonly [key: string]: unknown };
  return (key) => (Object.hasOwn(record, key) ? record[key] : undefined);
}
