/** Double-quotes an SQL identifier, doubling embedded quotes. Identifiers come from code, never input. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * ANDs boolean SQL expressions: "TRUE" for none, the expression itself for one, a parenthesised
 * conjunction otherwise. Bare "TRUE" parts (which bind no parameters) are dropped.
 */
export function joinAnd(parts: readonly string[]): string {
  const kept = parts.filter((p) => p !== "TRUE");
  return joinWith(kept, "AND", "TRUE");
}

/** ORs boolean SQL expressions: "FALSE" for none, the expression itself for one, parenthesised otherwise. */
export function joinOr(parts: readonly string[]): string {
  return joinWith(parts, "OR", "FALSE");
}

function joinWith(parts: readonly string[], op: "AND" | "OR", empty: string): string {
  if (parts.length === 0) return empty;
  if (parts.length === 1) return parts[0] ?? empty;
  return `(${parts.join(` ${op} `)})`;
}

/** Plain object test for input values (arrays, Dates and class instances are not filter objects). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
