import { GraphQLError } from "graphql";

/**
 * hugr's table arguments (filter, order_by, limit, offset) over rows held in memory, for the
 * cluster views whose rows come from the management node rather than from SQL. Supports the
 * String and Boolean operators of the filter input types, and _and / _or / _not.
 */
type Row = Readonly<Record<string, unknown>>;
type Filter = Readonly<Record<string, unknown>>;

export interface RowArguments {
  filter?: Filter | null;
  order_by?:
    readonly { field: string; direction?: "ASC" | "DESC" | null; nulls?: "FIRST" | "LAST" | null }[] | null;
  limit?: number | null;
  offset?: number | null;
}

export function selectRows<T extends object>(rows: readonly T[], args: RowArguments): T[] {
  const field = (row: T, name: string): unknown => (row as Row)[name];
  const matching = rows.filter((row) => matches(row as Row, args.filter ?? {}));
  for (const key of [...(args.order_by ?? [])].reverse()) {
    const sign = key.direction === "DESC" ? -1 : 1;
    // SQL's default: NULLs sort as the largest value (last for ASC, first for DESC).
    const nullsFirst = key.nulls ? key.nulls === "FIRST" : key.direction === "DESC";
    matching.sort((a, b) => compare(field(a, key.field), field(b, key.field), sign, nullsFirst));
  }
  const offset = args.offset ?? 0;
  if (offset < 0 || (args.limit ?? 0) < 0) throw invalid("limit and offset must not be negative");
  return matching.slice(offset, args.limit == null ? undefined : offset + args.limit);
}

function matches(row: Row, filter: Filter): boolean {
  return Object.entries(filter).every(([key, condition]) => {
    if (condition === undefined || condition === null) return true;
    if (key === "_and") return list(condition).every((f) => matches(row, f));
    if (key === "_or") return list(condition).some((f) => matches(row, f));
    if (key === "_not") return !list(condition).every((f) => matches(row, f));
    return fieldMatches(row[key], condition as Filter);
  });
}

function list(value: unknown): Filter[] {
  return (Array.isArray(value) ? value : [value]) as Filter[];
}

const OPERATORS: Readonly<Record<string, (value: unknown, operand: unknown) => boolean>> = {
  eq: (value, operand) => value === operand,
  in: (value, operand) => (operand as unknown[]).includes(value),
  like: (value, operand) => typeof value === "string" && likeToRegExp(String(operand), "").test(value),
  ilike: (value, operand) => typeof value === "string" && likeToRegExp(String(operand), "i").test(value),
  regex: (value, operand) => typeof value === "string" && new RegExp(String(operand)).test(value),
  is_null: (value, operand) => (value === null || value === undefined) === operand,
};

function fieldMatches(value: unknown, condition: Filter): boolean {
  return Object.entries(condition).every(([operator, operand]) => {
    if (operand === undefined) return true;
    const test = OPERATORS[operator];
    if (!test) throw invalid(`unsupported operator '${operator}'`);
    if (operand === null) throw invalid(`${operator}: null is not a valid operand; use is_null`);
    return test(value, operand);
  });
}

function likeToRegExp(pattern: string, flags: string): RegExp {
  const escaped = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replace(/%/g, ".*")
    .replace(/_/g, ".");
  return new RegExp(`^${escaped}$`, `s${flags}`);
}

/** Numbers numerically, everything else by its string form, times `sign`; NULLs where asked. */
function compare(a: unknown, b: unknown, sign: number, nullsFirst: boolean): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return nullsFirst ? -1 : 1;
  if (b === undefined || b === null) return nullsFirst ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return sign * (a - b);
  const [x, y] = [text(a), text(b)];
  return sign * (x < y ? -1 : x > y ? 1 : 0);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function invalid(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "INVALID_FILTER" } });
}
