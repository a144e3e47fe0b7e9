import { FilterError } from "./errors.js";
import { isPlainObject, quoteIdent } from "./sql-text.js";
import type { RelationModel } from "../catalogs/index.js";
import type { Querier, Row, SqlDialect } from "../engine.js";
import { mustField, type AliasedObject, type Catalog, type CatalogObject } from "./catalog.js";
import { createCompilation, type Compilation } from "./context.js";
import { DataInputError } from "./errors.js";
import { compileFilter } from "./filter.js";
import type { PlannedField } from "./plan.js";
import { permissionCondition } from "./row-access.js";
import { compileByKey } from "./select.js";
import { bindValue } from "./values.js";

/**
 * `insert_<object>(data)`: inserts the row, the many-to-one rows it carries (first, so their keys can
 * be copied in) and the one-to-many rows (after, with the new row's key), and for a many-to-many
 * relation each related row and then the link row holding both keys, all through `tx` so that the
 * caller's transaction makes them one. Returns the requested selection of the new row, read back in
 * the same transaction.
 */
/** Where inserts run: the request's transaction on the source, its catalog and SQL dialect. */
export interface InsertTarget {
  tx: Querier;
  catalog: Catalog;
  dialect: SqlDialect;
}

export async function insertTree(
  target: InsertTarget,
  object: CatalogObject,
  data: unknown,
  selection: PlannedField[],
): Promise<unknown> {
  const inserted = await insertRow(target, object, data, "data");
  const c = createCompilation(target.catalog, target.dialect);
  const sql = compileByKey(c, object, keyOf(object, inserted), selection);
  const rows = await target.tx.query(sql, c.params.values);
  return target.dialect.parseJson(rows[0]?.["row"]);
}

/** Inserts one row: many-to-one parents first, then the row, then its one-to-many and many-to-many rows. */
async function insertRow(
  target: InsertTarget,
  object: CatalogObject,
  data: unknown,
  path: string,
): Promise<Row> {
  if (!isPlainObject(data)) throw new DataInputError(`${path}: expected an object`);
  const values = new Map<string, unknown>();
  const children: [relation: RelationModel, items: unknown][] = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    if (object.field(key)) {
      values.set(key, value);
      continue;
    }
    const relation = object.relation(key);
    if (!relation) throw new DataInputError(`${path}.${key}: unknown field on ${object.model.name}`);
    if (relation.kind === "many") children.push([relation, value]);
    else if (value !== null) {
      const parent = await insertRow(target, target.catalog.object(relation.target), value, `${path}.${key}`);
      relation.sourceFields.forEach((name, i) => values.set(name, parent[relation.targetFields[i] ?? ""]));
    }
  }
  const row = await insertValues(target, object, values, path);
  for (const [relation, items] of children) {
    await insertChildren(target, { relation, parent: row }, items, `${path}.${relation.name}`);
  }
  return row;
}

/** `INSERT … RETURNING` every field of the new row as JSON (keys, defaults and sequences filled in). */
async function insertValues(
  target: InsertTarget,
  object: CatalogObject,
  values: ReadonlyMap<string, unknown>,
  path: string,
): Promise<Row> {
  const c = createCompilation(target.catalog, target.dialect);
  const columns: string[] = [];
  const holders: string[] = [];
  for (const [name, value] of values) {
    const field = mustField(object, name);
    columns.push(quoteIdent(field.column));
    holders.push(value === null ? "NULL" : bindData(c, field, value, `${path}.${name}`));
  }
  const body =
    columns.length > 0 ? `(${columns.join(", ")}) VALUES (${holders.join(", ")})` : "DEFAULT VALUES";
  // Unqualified columns: DuckDB ignores an INSERT's table alias in RETURNING.
  const all = object.model.fields.map((f): [string, string] => [f.name, quoteIdent(f.column)]);
  const sql = `INSERT INTO ${object.from} ${body} RETURNING ${target.dialect.jsonObject(all)} AS "row"`;
  const rows = await target.tx.query(sql, c.params.values);
  return target.dialect.parseJson(rows[0]?.["row"]) as Row;
}

/**
 * The one-to-many rows given with a new row, each linked to it by the relation's key; for a
 * many-to-many relation, each row and then its link row.
 */
async function insertChildren(
  target: InsertTarget,
  { relation, parent }: { relation: RelationModel; parent: Row },
  items: unknown,
  path: string,
): Promise<void> {
  if (items === null) return;
  const object = target.catalog.object(relation.target);
  const list: readonly unknown[] = Array.isArray(items) ? items : [items];
  for (const [i, item] of list.entries()) {
    if (!isPlainObject(item)) throw new DataInputError(`${path}[${i}]: expected an object`);
    if (relation.through) {
      const row = await insertRow(target, object, item, `${path}[${i}]`);
      await insertLink(target, { relation, parent, row }, relation.through, `${path}[${i}]`);
      continue;
    }
    const linked = { ...item };
    relation.targetFields.forEach((field, j) => (linked[field] = parent[relation.sourceFields[j] ?? ""]));
    await insertRow(target, object, linked, `${path}[${i}]`);
  }
}

/** The row of the link table `through` that relates `parent` to its new related `row`. */
async function insertLink(
  target: InsertTarget,
  { relation, parent, row }: { relation: RelationModel; parent: Row; row: Row },
  through: NonNullable<RelationModel["through"]>,
  path: string,
): Promise<void> {
  const values = new Map<string, unknown>();
  through.sourceFields.forEach((field, j) => values.set(field, parent[relation.sourceFields[j] ?? ""]));
  through.targetFields.forEach((field, j) => values.set(field, row[relation.targetFields[j] ?? ""]));
  await insertValues(
    target,
    target.catalog.object(through.object),
    values,
    `${path}: link ${through.object}`,
  );
}

/**
 * `update_<object>(filter, data)`: the UPDATE, returning the changed rows (as they are after it);
 * {@link countChanged} counts them.
 */
export function compileUpdate(
  c: Compilation,
  object: CatalogObject,
  { filter, data, guards = [] }: { filter: unknown; data: unknown; guards?: readonly unknown[] },
): string {
  if (!isPlainObject(data)) throw new DataInputError("data: expected an object");
  const alias = c.alias();
  const sets = Object.entries(data)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => {
      const field = object.field(name);
      if (!field) throw new DataInputError(`data.${name}: unknown field on ${object.model.name}`);
      const holder = value === null ? "NULL" : bindData(c, field, value, `data.${name}`);
      return `${quoteIdent(field.column)} = ${holder}`;
    });
  if (sets.length === 0) throw new DataInputError("data: set at least one field");
  const where = guarded(c, { object, alias }, requiredFilter(filter), guards);
  return `UPDATE ${object.from} AS ${quoteIdent(alias)} SET ${sets.join(", ")} WHERE ${where} RETURNING *`;
}

/** `delete_<object>(filter)`: the DELETE, returning the rows as they were. */
export function compileDelete(
  c: Compilation,
  object: CatalogObject,
  filter: unknown,
  guards: readonly unknown[] = [],
): string {
  const alias = c.alias();
  const where = guarded(c, { object, alias }, requiredFilter(filter), guards);
  return `DELETE FROM ${object.from} AS ${quoteIdent(alias)} WHERE ${where} RETURNING *`;
}

/** How many rows an UPDATE or DELETE (`changed`) changed, as `count`. */
export function countChanged(c: Compilation, changed: string): string {
  const cte = c.alias();
  return `WITH ${quoteIdent(cte)} AS (${changed}) SELECT count(*) AS "count" FROM ${quoteIdent(cte)}`;
}

/** The client's filter ANDed with the role's (`guards`: the rows it may change). */
function guarded(
  c: Compilation,
  { object, alias }: AliasedObject,
  filter: unknown,
  guards: readonly unknown[],
): string {
  const where = compileFilter(c, object, alias, filter);
  if (guards.length === 0) return where;
  return `(${where}) AND (${permissionCondition(c, object, alias, guards)})`;
}

function requiredFilter(filter: unknown): unknown {
  if (filter === null || filter === undefined)
    throw new FilterError("filter: required (use {} to match every row)");
  return filter;
}

/** Binds mutation data, reporting wrong types as data errors rather than filter errors. */
function bindData(
  c: Compilation,
  field: Parameters<typeof bindValue>[1],
  value: unknown,
  path: string,
): string {
  try {
    return bindValue(c, field, value, path);
  } catch (error) {
    if (error instanceof FilterError) throw new DataInputError(error.message);
    throw error;
  }
}

/** The new row's key: its primary key, or every scalar value it has when the object has none. */
function keyOf(object: CatalogObject, row: Row): Record<string, unknown> {
  const fields =
    object.pk.length > 0
      ? object.pk
      : object.model.fields.filter(
          (f) => !f.list && f.type !== "JSON" && row[f.name] !== null && row[f.name] !== undefined,
        );
  return Object.fromEntries(fields.map((f) => [f.name, row[f.name]]));
}
