import { FilterError } from "./errors.js";
import type { SqlParams } from "./params.js";
import type { ColumnType } from "./table.js";
import { isPlainObject, joinAnd } from "./sql-text.js";

/** Where a column condition is compiled: the quoted column reference, its type and the input path. */
export interface ColumnScope {
  ref: string;
  type: ColumnType;
  params: SqlParams;
  path: string;
}

const ORDERED = ["eq", "gt", "gte", "lt", "lte", "in", "is_null"] as const;

/** Operators each column type accepts (hugr's operator objects). */
const OPERATORS: Readonly<Record<ColumnType, readonly string[]>> = {
  string: ["eq", "in", "like", "ilike", "regex", "is_null"],
  int: ORDERED,
  float: ORDERED,
  timestamp: ORDERED,
  boolean: ["eq", "is_null"],
  json: ["is_null"],
};

/** SQL of the binary comparison operators; `regex` is PostgreSQL's case-sensitive `~`. */
const BINARY: Readonly<Record<string, string>> = {
  eq: "=",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  like: "LIKE",
  ilike: "ILIKE",
  regex: "~",
};

/**
 * Compiles one column's operator object, e.g. `{eq: "x", like: "a%"}`; several operators are ANDed,
 * an empty object constrains nothing ("TRUE").
 */
export function compileColumnFilter(scope: ColumnScope, ops: unknown): string {
  if (!isPlainObject(ops)) {
    throw new FilterError(`${scope.path}: ${nullHint(ops, "expected an operator object such as {eq: …}")}`);
  }
  const parts = Object.entries(ops).map(([op, value]) => compileOperator(scope, op, value));
  return joinAnd(parts);
}

function compileOperator(scope: ColumnScope, op: string, value: unknown): string {
  const path = `${scope.path}.${op}`;
  if (!OPERATORS[scope.type].includes(op)) {
    throw new FilterError(`${path}: unknown operator "${op}" for a ${scope.type} field`);
  }
  if (op === "is_null") return compileIsNull(scope.ref, value, path);
  if (op === "in") return compileIn(scope, value, path);
  return `${scope.ref} ${BINARY[op] ?? "="} ${placeholder(scope, value, path)}`;
}

/** `is_null: true` → IS NULL, `false` → IS NOT NULL. */
function compileIsNull(ref: string, value: unknown, path: string): string {
  if (typeof value !== "boolean") throw new FilterError(`${path}: is_null expects true or false`);
  return value ? `${ref} IS NULL` : `${ref} IS NOT NULL`;
}

/** `in: [a, b]` → col IN ($1, $2); `in: []` matches nothing; a single value counts as a one-element list. */
function compileIn(scope: ColumnScope, value: unknown, path: string): string {
  if (value === null || value === undefined) throw new FilterError(`${path}: ${nullOperand()}`);
  const list: readonly unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) return "FALSE";
  const holders = list.map((item, i) => placeholder(scope, item, `${path}[${i}]`));
  return `${scope.ref} IN (${holders.join(", ")})`;
}

/** Checks the operand against the column type and binds it; timestamps get a `::timestamptz` cast. */
function placeholder(scope: ColumnScope, value: unknown, path: string): string {
  checkOperand(scope.type, value, path);
  const holder = scope.params.add(value);
  return scope.type === "timestamp" ? `${holder}::timestamptz` : holder;
}

function checkOperand(type: ColumnType, value: unknown, path: string): void {
  if (value === null || value === undefined) throw new FilterError(`${path}: ${nullOperand()}`);
  if (!OPERAND_CHECKS[type](value)) {
    throw new FilterError(`${path}: expected a ${type} value, got ${describe(value)}`);
  }
}

const OPERAND_CHECKS: Readonly<Record<ColumnType, (value: unknown) => boolean>> = {
  string: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  int: (v) => (typeof v === "number" && Number.isSafeInteger(v)) || typeof v === "bigint",
  float: (v) => typeof v === "number" && Number.isFinite(v),
  timestamp: (v) => typeof v === "string" || (v instanceof Date && !Number.isNaN(v.getTime())),
  json: () => false,
};

function nullOperand(): string {
  return "null is not a valid operand; use {is_null: true} (or false) to test for NULL";
}

/** The null hint when the value is null/undefined, the given message otherwise. */
export function nullHint(value: unknown, otherwise: string): string {
  return value === null || value === undefined ? nullOperand() : otherwise;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return `${typeof value} ${value.toString()}`;
  }
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
