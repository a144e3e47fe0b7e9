import { FilterError } from "./errors.js";
import { isPlainObject, joinAnd, joinOr } from "./sql-text.js";
import type { FieldModel, RelationModel, ScalarName } from "../catalogs/index.js";
import { fieldRef, joinCondition, type CatalogObject } from "./catalog.js";
import type { Compilation } from "./context.js";
import { readFrom } from "./row-access.js";
import { bindValue } from "./values.js";

/** Deepest accepted nesting of filter objects, through _and/_or/_not and relations. */
const MAX_DEPTH = 32;

interface Scope {
  object: CatalogObject;
  alias: string;
  path: string;
  depth: number;
}

/**
 * Compiles hugr's filter argument for a data source object into a boolean SQL expression over the
 * row aliased `alias`. Keys of one object are ANDed; `_and`, `_or`, `_not` take lists; a many-to-one
 * relation takes the target's filter, a one-to-many or many-to-many relation
 * `{any_of | all_of | none_of: filter}`, all compiled to EXISTS subqueries so no row is duplicated.
 * Values are always bound. Throws FilterError (shown to the client as INVALID_FILTER) for input the
 * schema could not rule out.
 */
export function compileFilter(c: Compilation, object: CatalogObject, alias: string, filter: unknown): string {
  if (filter === null || filter === undefined) return "TRUE";
  return compileObject(c, { object, alias, path: "filter", depth: 1 }, filter);
}

function compileObject(c: Compilation, scope: Scope, filter: unknown): string {
  if (scope.depth > MAX_DEPTH) throw new FilterError(`${scope.path}: nested deeper than ${MAX_DEPTH} levels`);
  if (!isPlainObject(filter)) throw new FilterError(`${scope.path}: expected a filter object`);
  return joinAnd(
    Object.entries(filter)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => compileKey(c, scope, key, value)),
  );
}

function compileKey(c: Compilation, scope: Scope, key: string, value: unknown): string {
  const path = `${scope.path}.${key}`;
  if (key === "_and") return joinAnd(compileList(c, scope, path, value));
  if (key === "_or") return joinOr(compileList(c, scope, path, value));
  if (key === "_not") {
    const parts = compileList(c, scope, path, value).filter((p) => p !== "TRUE");
    return parts.length === 0 ? "FALSE" : `NOT (${parts.join(" AND ")})`;
  }
  const field = scope.object.field(key);
  if (field) return compileField({ c, field, ref: fieldRef(scope.alias, field) }, value, path);
  const relation = scope.object.relation(key);
  if (relation) return compileRelation(c, { ...scope, path }, relation, value);
  throw new FilterError(`${path}: unknown field "${key}" on ${scope.object.model.name}`);
}

function compileList(c: Compilation, scope: Scope, path: string, value: unknown): string[] {
  if (value === null) throw new FilterError(`${path}: expected a list of filters`);
  const items: readonly unknown[] = Array.isArray(value) ? value : [value];
  return items.map((item, i) =>
    compileObject(c, { ...scope, path: `${path}[${i}]`, depth: scope.depth + 1 }, item),
  );
}

function compileRelation(c: Compilation, scope: Scope, relation: RelationModel, value: unknown): string {
  const target = c.catalog.object(relation.target);
  const alias = c.alias();
  const join = joinCondition(c, relation, scope, { object: target, alias });
  const exists = (condition: string) =>
    `EXISTS (SELECT 1 FROM ${readFrom(c, target, alias)} WHERE ${join}${condition === "TRUE" ? "" : ` AND ${condition}`})`;
  const inner = (filter: unknown, path: string) =>
    compileObject(c, { object: target, alias, path, depth: scope.depth + 1 }, filter);
  if (value === null)
    throw new FilterError(`${scope.path}: null is not a filter; use {is_null: …} on a field`);
  if (relation.kind === "one") return exists(inner(value, scope.path));
  if (!isPlainObject(value)) throw new FilterError(`${scope.path}: expected {any_of | all_of | none_of: …}`);
  const parts = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([quantifier, filter]) => {
      const path = `${scope.path}.${quantifier}`;
      if (quantifier === "any_of") return exists(inner(filter, path));
      if (quantifier === "none_of") return `NOT ${exists(inner(filter, path))}`;
      if (quantifier === "all_of") return `NOT ${exists(`(${inner(filter, path)}) IS NOT TRUE`)}`;
      throw new FilterError(`${path}: unknown quantifier "${quantifier}"; use any_of, all_of or none_of`);
    });
  return joinAnd(parts);
}

/** Where one operator is compiled: the field, its SQL reference and the input path of the operator. */
interface Operand {
  c: Compilation;
  field: FieldModel;
  ref: string;
  path: string;
}

type Operator = (at: Operand, operand: unknown) => string;

const bind = (at: Operand, value: unknown, path = at.path): string => bindValue(at.c, at.field, value, path);

const compare =
  (sql: string): Operator =>
  (at, operand) =>
    `${at.ref} ${sql} ${bind(at, operand)}`;

const isNull: Operator = (at, operand) => {
  if (typeof operand !== "boolean") throw new FilterError(`${at.path}: is_null expects true or false`);
  return operand ? `${at.ref} IS NULL` : `${at.ref} IS NOT NULL`;
};

const inList: Operator = (at, operand) => {
  const items: readonly unknown[] = Array.isArray(operand) ? operand : [operand];
  if (items.length === 0) return "FALSE";
  return `${at.ref} IN (${items.map((item, i) => bind(at, item, `${at.path}[${i}]`)).join(", ")})`;
};

const ORDERED: Readonly<Record<string, Operator>> = {
  eq: compare("="),
  gt: compare(">"),
  gte: compare(">="),
  lt: compare("<"),
  lte: compare("<="),
  in: inList,
  is_null: isNull,
};

/** hugr's operators for each scalar type of a non-list field. */
const SCALAR_OPERATORS: Readonly<Record<ScalarName, Readonly<Record<string, Operator>>>> = {
  String: {
    eq: compare("="),
    in: inList,
    like: compare("LIKE"),
    ilike: compare("ILIKE"),
    regex: (at, operand) => at.c.dialect.regexMatch(at.ref, bind(at, operand)),
    is_null: isNull,
  },
  Int: ORDERED,
  BigInt: ORDERED,
  Float: ORDERED,
  Date: ORDERED,
  Time: ORDERED,
  Timestamp: ORDERED,
  Boolean: { eq: compare("="), is_null: isNull },
  JSON: {
    eq: (at, operand) => at.c.dialect.jsonCompare(at.ref, "eq", bind(at, operand)),
    contains: (at, operand) => at.c.dialect.jsonCompare(at.ref, "contains", bind(at, operand)),
    has: (at, operand) => at.c.dialect.jsonHasKeys(at.ref, [bindKey(at.c, operand, at.path)]),
    has_all: (at, operand) => at.c.dialect.jsonHasKeys(at.ref, bindKeys(at.c, operand, at.path)),
    is_null: isNull,
  },
};

/** Operators of a list (array) field: whole-list equality, containment, overlap. */
const LIST_OPERATORS: Readonly<Record<string, Operator>> = {
  eq: compare("="),
  contains: (at, operand) => at.c.dialect.arrayContains(at.ref, bind(at, operand)),
  intersects: (at, operand) => at.c.dialect.arrayOverlaps(at.ref, bind(at, operand)),
  is_null: isNull,
};

/** One field's operator object, e.g. `{gte: 10, lt: 20}`; several operators are ANDed. */
function compileField(at: Omit<Operand, "path">, ops: unknown, path: string): string {
  if (!isPlainObject(ops)) throw new FilterError(`${path}: expected an operator object such as {eq: …}`);
  const operators = at.field.list ? LIST_OPERATORS : SCALAR_OPERATORS[at.field.type];
  return joinAnd(
    Object.entries(ops)
      .filter(([, operand]) => operand !== undefined)
      .map(([op, operand]) => {
        const operator = Object.hasOwn(operators, op) ? operators[op] : undefined;
        if (!operator)
          throw new FilterError(`${path}.${op}: unknown operator for a ${describe(at.field)} field`);
        if (operand === null && op !== "is_null") {
          throw new FilterError(`${path}.${op}: null is not a valid operand; use {is_null: true} (or false)`);
        }
        return operator({ ...at, path: `${path}.${op}` }, operand);
      }),
  );
}

function bindKey(c: Compilation, operand: unknown, path: string): string {
  if (typeof operand !== "string") throw new FilterError(`${path}: expected a key name`);
  return c.params.add(operand);
}

function bindKeys(c: Compilation, operand: unknown, path: string): string[] {
  const keys: readonly unknown[] = Array.isArray(operand) ? operand : [operand];
  return keys.map((key, i) => bindKey(c, key, `${path}[${i}]`));
}

function describe(field: FieldModel): string {
  return field.list ? `[${field.type}]` : field.type;
}
