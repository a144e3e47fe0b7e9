import { FilterError } from "./errors.js";
import { compileColumnFilter, nullHint } from "./operators.js";
import type { SqlParams } from "./params.js";
import { columnRef, isPlainObject, joinAnd, joinOr, quoteIdent } from "./sql-text.js";
import type { RelationSpec, TableSpec } from "./table.js";

export { FilterError } from "./errors.js";

/** Deepest accepted nesting of filter objects (the root filter is level 1). */
const MAX_DEPTH = 32;

/** State shared by one compileFilter call: the bind values and the sub-alias counter. */
interface Compilation {
  params: SqlParams;
  rootAlias: string;
  aliasCount: number;
}

/** Where a filter object is compiled: its table, the SQL alias of that table, the input path, the level. */
interface Scope {
  spec: TableSpec;
  alias: string;
  path: string;
  depth: number;
}

/**
 * Compiles a hugr filter argument (`{name: {eq: "x"}, _or: [...], catalogs: {any_of: {...}}}`) into a
 * boolean SQL expression over the table aliased `alias`; "TRUE" when the filter is null, undefined or
 * empty. Keys of one object are ANDed. Every value is bound through `params`; identifiers come only
 * from `spec`. Throws FilterError for invalid input.
 */
export function compileFilter(spec: TableSpec, filter: unknown, params: SqlParams, alias: string): string {
  if (filter === null || filter === undefined) return "TRUE";
  const compilation: Compilation = { params, rootAlias: alias, aliasCount: 0 };
  return compileObject(compilation, { spec, alias, path: "filter", depth: 1 }, filter);
}

function compileObject(c: Compilation, scope: Scope, filter: unknown): string {
  if (scope.depth > MAX_DEPTH) {
    throw new FilterError(`${scope.path}: filter nested deeper than ${MAX_DEPTH} levels`);
  }
  if (!isPlainObject(filter)) {
    throw new FilterError(`${scope.path}: ${nullHint(filter, "expected a filter object")}`);
  }
  const parts = Object.entries(filter).map(([key, value]) => compileKey(c, scope, key, value));
  return joinAnd(parts);
}

function compileKey(c: Compilation, scope: Scope, key: string, value: unknown): string {
  const path = `${scope.path}.${key}`;
  if (key === "_and") return joinAnd(compileList(c, scope, path, value));
  if (key === "_or") return joinOr(compileList(c, scope, path, value));
  if (key === "_not") return compileNot(compileList(c, scope, path, value));
  const { columns, relations } = scope.spec;
  const type = Object.hasOwn(columns, key) ? columns[key] : undefined;
  if (type !== undefined) {
    return compileColumnFilter({ ref: columnRef(scope.alias, key), type, params: c.params, path }, value);
  }
  const relation = relations && Object.hasOwn(relations, key) ? relations[key] : undefined;
  if (relation !== undefined) return compileRelation(c, { ...scope, path }, relation, value);
  throw new FilterError(`${path}: unknown field "${key}" on ${scope.spec.table}`);
}

/** `_and` / `_or` / `_not` operand: a list of filters, or one filter (GraphQL list coercion). */
function compileList(c: Compilation, scope: Scope, path: string, value: unknown): string[] {
  if (value === null || value === undefined) throw new FilterError(`${path}: expected a list of filters`);
  const items: readonly unknown[] = Array.isArray(value) ? value : [value];
  const depth = scope.depth + 1;
  return items.map((item, i) => compileObject(c, { ...scope, path: `${path}[${i}]`, depth }, item));
}

/** `_not: [f1, f2]` → NOT (f1 AND f2); an empty `_not` negates TRUE. */
function compileNot(parts: readonly string[]): string {
  const kept = parts.filter((p) => p !== "TRUE");
  return kept.length === 0 ? "FALSE" : `NOT (${kept.join(" AND ")})`;
}

type Quantifier = "any_of" | "all_of" | "none_of";
interface RelationScope extends Scope {
  relation: RelationSpec;
}
const QUANTIFIERS: readonly string[] = ["any_of", "all_of", "none_of"];

/**
 * `{any_of: f, all_of: f, none_of: f}` on a list relation, each a correlated subquery (ANDed):
 * any_of = some related row matches; none_of = no related row matches; all_of = no related row fails
 * to match (a NULL inner result counts as not matching; vacuously true without related rows).
 */
function compileRelation(c: Compilation, scope: Scope, relation: RelationSpec, value: unknown): string {
  if (!isPlainObject(value)) {
    throw new FilterError(`${scope.path}: ${nullHint(value, "expected {any_of, all_of, none_of}")}`);
  }
  const parts = Object.entries(value).map(([key, inner]) => {
    if (!QUANTIFIERS.includes(key)) {
      throw new FilterError(`${scope.path}.${key}: unknown relation operator "${key}"`);
    }
    return compileQuantifier(c, { ...scope, relation }, key as Quantifier, inner);
  });
  return joinAnd(parts);
}

function compileQuantifier(
  c: Compilation,
  scope: RelationScope,
  quantifier: Quantifier,
  filter: unknown,
): string {
  c.aliasCount += 1;
  const sub = `${c.rootAlias}_${c.aliasCount}`;
  const target = scope.relation.target();
  const innerScope = {
    spec: target,
    alias: sub,
    path: `${scope.path}.${quantifier}`,
    depth: scope.depth + 1,
  };
  const inner = compileObject(c, innerScope, filter);
  const { from, where } = relationJoin(scope.relation, target, scope.alias, sub);
  if (quantifier === "all_of") {
    return `NOT EXISTS (SELECT 1 FROM ${from} WHERE ${where} AND NOT COALESCE(${inner}, FALSE))`;
  }
  const cond = inner === "TRUE" ? where : `${where} AND ${inner}`;
  return `${quantifier === "none_of" ? "NOT EXISTS" : "EXISTS"} (SELECT 1 FROM ${from} WHERE ${cond})`;
}

/** FROM and correlation of a relation subquery; the link table (many-to-many) is aliased `<sub>_l`. */
function relationJoin(
  relation: RelationSpec,
  target: TableSpec,
  alias: string,
  sub: string,
): { from: string; where: string } {
  const source = columnRef(alias, relation.sourceKey);
  const targetTable = `${quoteIdent(target.table)} AS ${quoteIdent(sub)}`;
  const { through } = relation;
  if (through === undefined) {
    return { from: targetTable, where: `${columnRef(sub, relation.targetKey)} = ${source}` };
  }
  const link = `${sub}_l`;
  const on = `${columnRef(sub, relation.targetKey)} = ${columnRef(link, through.targetColumn)}`;
  return {
    from: `${quoteIdent(through.table)} AS ${quoteIdent(link)} JOIN ${targetTable} ON ${on}`,
    where: `${columnRef(link, through.sourceColumn)} = ${source}`,
  };
}

/** One order_by item of hugr's `order_by: [{field, direction, nulls}]` argument. */
export interface OrderByField {
  field: string;
  direction?: "ASC" | "DESC" | null;
  /** Where NULLs sort; absent means the database default (last for ASC, first for DESC). */
  nulls?: "FIRST" | "LAST" | null;
}

/**
 * Compiles order_by into ` ORDER BY "alias"."col" ASC, ...` ("" when absent or empty). Every field must
 * be a non-json column of `spec`; the direction defaults to ASC. Throws FilterError otherwise.
 */
export function compileOrderBy(
  spec: TableSpec,
  orderBy: readonly OrderByField[] | null | undefined,
  alias: string,
): string {
  if (orderBy === null || orderBy === undefined) return "";
  if (!Array.isArray(orderBy)) throw new FilterError("order_by: expected a list of {field, direction}");
  const items = orderBy.map((item: unknown, i) => compileOrderItem(spec, item, alias, `order_by[${i}]`));
  return items.length === 0 ? "" : ` ORDER BY ${items.join(", ")}`;
}

function compileOrderItem(spec: TableSpec, item: unknown, alias: string, path: string): string {
  if (!isPlainObject(item) || typeof item.field !== "string") {
    throw new FilterError(`${path}: expected {field, direction}`);
  }
  const { field, direction, nulls } = item;
  const type = Object.hasOwn(spec.columns, field) ? spec.columns[field] : undefined;
  if (type === undefined) throw new FilterError(`${path}: unknown field "${field}" on ${spec.table}`);
  if (type === "json") throw new FilterError(`${path}: cannot order by json field "${field}"`);
  if (direction !== undefined && direction !== null && direction !== "ASC" && direction !== "DESC") {
    throw new FilterError(`${path}: direction must be ASC or DESC`);
  }
  return `${columnRef(alias, field)} ${direction ?? "ASC"}${nullsClause(nulls, path)}`;
}

/** ` NULLS FIRST` / ` NULLS LAST` for order_by's `nulls`, "" when absent. Throws FilterError otherwise. */
export function nullsClause(nulls: unknown, path: string): string {
  if (nulls === undefined || nulls === null) return "";
  if (nulls !== "FIRST" && nulls !== "LAST") throw new FilterError(`${path}: nulls must be FIRST or LAST`);
  return ` NULLS ${nulls}`;
}
