import { FilterError } from "./errors.js";
import { isPlainObject, quoteIdent } from "./sql-text.js";
import { fieldRef, joinCondition, type AliasedObject, type CatalogObject } from "./catalog.js";
import type { Compilation, ReadVia } from "./context.js";
import { compileFilter } from "./filter.js";
import type { AggregateFunction, PlannedField } from "./plan.js";
import { readFrom } from "./row-access.js";

/** hugr's list arguments: filter, order_by, limit, offset, distinct_on. */
export interface ListArgs {
  filter?: unknown;
  order_by?: unknown;
  limit?: number | null;
  offset?: number | null;
  distinct_on?: readonly string[] | null;
}

/** The rows of an object a list reads: FROM item, alias, extra condition (a relation's join). */
interface RowSource {
  object: CatalogObject;
  /** Condition on `alias` besides the filter, e.g. the join to the parent row; "TRUE" for none. */
  where: string;
  alias: string;
  /** The field the rows are read through, for the role's field-level filters. */
  via?: ReadVia;
}

/**
 * `SELECT <row json> AS "row" FROM … WHERE … ORDER BY … LIMIT … OFFSET …`: one statement that
 * returns every requested field of every row, relations included (as correlated JSON subqueries),
 * so a request never costs one query per parent row.
 */
export function compileList(
  c: Compilation,
  object: CatalogObject,
  args: ListArgs,
  selection: PlannedField[],
): string {
  const alias = c.alias();
  const rows = listRows(c, { object, where: "TRUE", alias, via: "root" }, args);
  return `SELECT ${objectJson(c, object, alias, selection)} AS "row" FROM ${listTail(rows)}`;
}

/** One row by key values (`_by_pk`, `_by_<unique>`): `{field: value}` pairs, all ANDed. */
export function compileByKey(
  c: Compilation,
  object: CatalogObject,
  key: Record<string, unknown>,
  selection: PlannedField[],
): string {
  const alias = c.alias();
  const filter = Object.fromEntries(Object.entries(key).map(([name, value]) => [name, { eq: value }]));
  const where = compileFilter(c, object, alias, filter);
  return `SELECT ${objectJson(c, object, alias, selection)} AS "row" FROM ${readFrom(c, object, alias, "root")} WHERE ${where} LIMIT 1`;
}

/** `<object>_aggregation`: one row with `_rows_count` and per-field aggregates over the listed rows. */
export function compileAggregation(
  c: Compilation,
  object: CatalogObject,
  args: ListArgs,
  selection: PlannedField[],
): string {
  const source: RowSource = { object, where: "TRUE", alias: c.alias(), via: "root" };
  const { json, from } = aggregationOver(c, source, args, selection);
  return `SELECT ${json} AS "row" FROM ${from}`;
}

/**
 * The JSON object of one row: each planned field under its response key. Relations become
 * correlated subqueries on `alias`.
 */
export function objectJson(
  c: Compilation,
  object: CatalogObject,
  alias: string,
  selection: PlannedField[],
): string {
  const pairs = selection.map((item): [string, string] => [item.key, fieldJson(c, object, alias, item)]);
  return c.dialect.jsonObject(pairs);
}

function fieldJson(c: Compilation, object: CatalogObject, alias: string, item: PlannedField): string {
  const { meta } = item;
  if (meta.kind === "column") return fieldRef(alias, meta.field);
  if (meta.kind !== "relation" && meta.kind !== "relation_aggregation") {
    throw new Error(`field kind ${meta.kind} cannot appear on a row`);
  }
  // The related rows of this row: the target object, joined to `alias` by the relation's key.
  const target = c.catalog.object(meta.relation.target);
  const targetAlias = c.alias();
  const field = meta.kind === "relation" ? meta.relation.name : `${meta.relation.name}_aggregation`;
  const related: RowSource = {
    object: target,
    alias: targetAlias,
    where: joinCondition(c, meta.relation, { object, alias }, { object: target, alias: targetAlias }),
    via: { parent: object, field },
  };
  if (meta.kind === "relation_aggregation") {
    const { json, from } = aggregationOver(c, related, item.args, item.selection);
    return `(SELECT ${json} FROM ${from})`;
  }
  if (meta.relation.kind === "one") {
    const json = objectJson(c, target, targetAlias, item.selection);
    return `(SELECT ${json} FROM ${readFrom(c, target, targetAlias, related.via)} WHERE ${related.where} LIMIT 1)`;
  }
  return manyRelationJson(c, related, item.args, item.selection);
}

/** A JSON array of the related rows, in the requested order (numbered before LIMIT cuts them). */
function manyRelationJson(
  c: Compilation,
  related: RowSource,
  args: ListArgs,
  selection: PlannedField[],
): string {
  const rows = listRows(c, related, args);
  const numbered = quoteIdent(c.alias());
  const position = `row_number() OVER (${rows.orderBy ? `ORDER BY ${rows.orderBy}` : ""})`;
  const json = objectJson(c, related.object, related.alias, selection);
  const inner = `SELECT ${json} AS "row", ${position} AS "n" FROM ${listTail(rows)}`;
  return `(SELECT ${c.dialect.jsonArrayAgg(`${numbered}."row"`, `${numbered}."n"`)} FROM (${inner}) AS ${numbered})`;
}

/** Aggregates over the rows a list with `args` would return: the JSON expression and its FROM. */
function aggregationOver(
  c: Compilation,
  source: RowSource,
  args: ListArgs,
  selection: PlannedField[],
): { json: string; from: string } {
  const rows = listRows(c, source, args);
  // Aggregates must see exactly the rows of the list: paging and DISTINCT ON need a subquery.
  let from = `${rows.from}${rows.where}`;
  let alias = source.alias;
  if (rows.page !== "" || rows.distinct) {
    alias = c.alias();
    from = `(SELECT ${quoteIdent(source.alias)}.* FROM ${listTail(rows)}) AS ${quoteIdent(alias)}`;
  }
  const pairs = selection.map((item): [string, string] => {
    if (item.meta.kind === "rows_count") return [item.key, "count(*)"];
    if (item.meta.kind !== "field_aggregation")
      throw new Error(`field kind ${item.meta.kind} in an aggregation`);
    const ref = fieldRef(alias, item.meta.field);
    const fns = item.selection.map((fn): [string, string] => {
      if (fn.meta.kind !== "aggregate") throw new Error(`field kind ${fn.meta.kind} in a field aggregation`);
      return [fn.key, aggregate(fn.meta.fn, ref)];
    });
    return [item.key, c.dialect.jsonObject(fns)];
  });
  return { json: c.dialect.jsonObject(pairs), from };
}

function aggregate(fn: AggregateFunction, ref: string): string {
  return `${fn}(${ref})`;
}

interface ListRows {
  /** `<from> AS "alias"` (possibly a DISTINCT ON subquery under the same alias). */
  from: string;
  /** ` WHERE …` or "". */
  where: string;
  /** The ORDER BY list alone ("" when unordered). */
  orderBy: string;
  /** ` LIMIT … OFFSET …` or "". */
  page: string;
  distinct: boolean;
}

function listTail(rows: ListRows): string {
  return `${rows.from}${rows.where}${rows.orderBy ? ` ORDER BY ${rows.orderBy}` : ""}${rows.page}`;
}

/**
 * FROM, WHERE, ORDER BY, LIMIT and OFFSET of a list. DISTINCT ON picks, for each distinct value, the
 * first row in the requested order; PostgreSQL needs the distinct fields to lead its ORDER BY, so it
 * runs in a subquery and the outer query keeps the order the client asked for.
 */
function listRows(c: Compilation, source: RowSource, args: ListArgs): ListRows {
  const { object, alias } = source;
  const conditions = [source.where, compileFilter(c, object, alias, args.filter)].filter((w) => w !== "TRUE");
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : "";
  const orderBy = compileOrderBy(c, object, alias, args.order_by);
  const page = pagination(c, args);
  const distinctOn = args.distinct_on ?? [];
  const quoted = quoteIdent(alias);
  const from = readFrom(c, object, alias, source.via);
  if (distinctOn.length === 0) return { from, where, orderBy, page, distinct: false };
  const keys = distinctOn.map((name, i) => {
    const field = object.field(name);
    if (!field) throw new FilterError(`distinct_on[${i}]: unknown field "${name}" on ${object.model.name}`);
    return fieldRef(alias, field);
  });
  const innerOrder = [...keys, ...(orderBy ? [orderBy] : [])].join(", ");
  const inner = `SELECT DISTINCT ON (${keys.join(", ")}) ${quoted}.* FROM ${from}${where} ORDER BY ${innerOrder}`;
  return { from: `(${inner}) AS ${quoted}`, where: "", orderBy, page, distinct: true };
}

/** ` LIMIT n OFFSET m` for the list arguments, each a checked non-negative integer. */
function pagination(c: Compilation, args: ListArgs): string {
  let sql = "";
  for (const name of ["limit", "offset"] as const) {
    const value = args[name];
    if (value === undefined || value === null) continue;
    if (!Number.isSafeInteger(value) || value < 0)
      throw new FilterError(`${name}: must be a non-negative integer`);
    sql += ` ${name.toUpperCase()} ${c.dialect.pageCount((v) => c.params.add(v), value)}`;
  }
  return sql;
}

/**
 * order_by items `{field, direction, nulls}`; `field` may be a dotted path through many-to-one
 * relations ("customer.country"), compiled to a scalar subquery on the related row.
 */
function compileOrderBy(c: Compilation, object: CatalogObject, alias: string, orderBy: unknown): string {
  if (orderBy === undefined || orderBy === null) return "";
  const items: readonly unknown[] = Array.isArray(orderBy) ? orderBy : [orderBy];
  return items
    .map((item, i) => {
      const path = `order_by[${i}]`;
      if (!isPlainObject(item) || typeof item["field"] !== "string")
        throw new FilterError(`${path}: expected {field, direction}`);
      const direction = item["direction"] ?? "ASC";
      if (direction !== "ASC" && direction !== "DESC")
        throw new FilterError(`${path}: direction must be ASC or DESC`);
      const nulls = item["nulls"];
      if (nulls !== undefined && nulls !== null && nulls !== "FIRST" && nulls !== "LAST") {
        throw new FilterError(`${path}: nulls must be FIRST or LAST`);
      }
      const expression = orderExpression(c, { object, alias }, item["field"].split("."), path);
      return `${expression} ${direction}${nulls ? ` NULLS ${nulls}` : ""}`;
    })
    .join(", ");
}

function orderExpression(c: Compilation, row: AliasedObject, path: string[], where: string): string {
  const { object, alias } = row;
  const [head = "", ...rest] = path;
  if (rest.length === 0) {
    const field = object.field(head);
    if (!field) throw new FilterError(`${where}: unknown field "${head}" on ${object.model.name}`);
    if (field.type === "JSON" || field.list)
      throw new FilterError(`${where}: cannot order by ${head} (a ${field.list ? "list" : "JSON"} field)`);
    return fieldRef(alias, field);
  }
  const relation = object.relation(head);
  if (!relation || relation.kind !== "one") {
    throw new FilterError(`${where}: "${head}" is not a many-to-one relation of ${object.model.name}`);
  }
  const target = c.catalog.object(relation.target);
  const targetAlias = c.alias();
  const join = joinCondition(c, relation, row, { object: target, alias: targetAlias });
  const inner = orderExpression(c, { object: target, alias: targetAlias }, rest, where);
  return `(SELECT ${inner} FROM ${readFrom(c, target, targetAlias)} WHERE ${join} LIMIT 1)`;
}
