/**
 * How a table's insert_, update_ and delete_ fields run: compiled to SQL by the engine, or delegated
 * to another writer (the core module's data sources), and what they answer (rows or OperationResult).
 */
import { getNamedType, type GraphQLObjectType, type GraphQLResolveInfo } from "graphql";
import type { Querier, Row, SourceEngine } from "../engine.js";
import type { CatalogObject } from "../sql/catalog.js";
import { createCompilation, type Compilation } from "../sql/context.js";
import { DataInputError, FilterError } from "../sql/errors.js";
import { compileDelete, compileUpdate, countChanged, insertTree } from "../sql/mutate.js";
import { planSelection, type PlannedField } from "../sql/plan.js";
import { compileList } from "../sql/select.js";
import type { SourceRequestContext } from "../transactions.js";
import { accessOf, restrictInsertData, restrictUpdateData, writeGuards } from "./access.js";
import type { DelegatedWrites, SourceSchemaInput } from "./input.js";
import { keyOrder, runStatement } from "./statement.js";

/** How a table's three mutations run: compiled by the engine, or delegated (see DelegatedWrites). */
export interface TableWrites {
  insert(data: unknown, context: unknown, info: GraphQLResolveInfo): Promise<unknown>;
  update(filter: unknown, data: unknown, context: unknown, info: GraphQLResolveInfo): Promise<unknown>;
  delete(filter: unknown, context: unknown, info: GraphQLResolveInfo): Promise<unknown>;
}

/** hugr's answer to a write that returns no rows. */
function operationResult(affectedRows: number): OperationResult {
  return { success: true, affected_rows: affectedRows, message: `${affectedRows} rows affected` };
}

interface OperationResult {
  success: boolean;
  affected_rows: number;
  message: string;
}

export function writesOf(input: SourceSchemaInput, object: CatalogObject): TableWrites {
  const delegated = input.delegatedWrites?.[object.model.name];
  return delegated ? delegatedWrites(input, object, delegated) : compiledWrites(input, object);
}

/**
 * Writes the engine compiles: in the request's transaction on the engine (engine/transactions.ts),
 * or, without `transactionPerRequest`, each in a transaction of its own.
 */
function compiledWrites(input: SourceSchemaInput, object: CatalogObject): TableWrites {
  const { catalog } = input;
  const rows = input.mutationResults === "rows";
  /** Runs `work` in the request's transaction on the engine, or in one of its own. */
  const inTransaction = async <T>(
    context: unknown,
    work: (on: { tx: Querier; engine: SourceEngine }) => Promise<T>,
  ): Promise<T> => {
    const engine = input.engine(context);
    if (!input.transactionPerRequest) return engine.transaction((tx) => work({ tx, engine }));
    const tx = await (context as SourceRequestContext).sourceTransactions.querier(engine);
    return work({ tx, engine });
  };
  /** Runs an UPDATE or DELETE (`changed`) and returns how many rows it changed. */
  const count = (context: unknown, changed: (c: Compilation) => string): Promise<OperationResult> =>
    inTransaction(context, async ({ tx, engine }) => {
      const c = createCompilation(catalog, engine.dialect);
      const [counted] = await tx.query(countChanged(c, changed(c)), c.params.values);
      return operationResult(Number(counted?.["count"] ?? 0));
    });
  /**
   * The request's selection of the rows with these keys, read in the transaction. Changed rows are
   * read back by key, not through a data-modifying CTE, which DuckDB (a core database) lacks.
   */
  const readBack = (
    on: { tx: Querier; engine: SourceEngine },
    context: unknown,
    info: GraphQLResolveInfo,
    keys: readonly Row[],
  ) =>
    keys.length === 0
      ? Promise.resolve([])
      : runStatement(
          input,
          { engine: on.engine, querier: on.tx, access: accessOf(context) },
          info,
          (c, selection) =>
            compileList(c, object, { filter: byKeys(keys), order_by: keyOrder(object) }, selection),
        );
  const keysOf = (changed: readonly Row[]): Row[] =>
    changed.map((row) => Object.fromEntries(object.pk.map((field) => [field.name, row[field.column]])));
  const run = (
    on: { tx: Querier; engine: SourceEngine },
    changed: (c: Compilation) => string,
  ): Promise<Row[]> => {
    const c = createCompilation(catalog, on.engine.dialect);
    return on.tx.query(changed(c), c.params.values);
  };
  return {
    insert(data, context, info) {
      const allowed = restrictInsertData({ input, object, rules: accessOf(context) }, data, info);
      return inTransaction(context, async ({ tx, engine }) => {
        const target = { tx, catalog, dialect: engine.dialect };
        if (!rows && object.pk.length === 0) {
          await insertTree(target, object, allowed, []);
          return operationResult(1);
        }
        const selection = planSelection(info, getNamedType(info.returnType) as GraphQLObjectType);
        return insertTree(target, object, allowed, selection);
      });
    },
    update(filter, data, context, info) {
      const access = accessOf(context);
      const guards = writeGuards({ input, object, rules: access }, "update", info);
      const allowed = restrictUpdateData({ input, object, rules: access }, data, info);
      const update = (c: Compilation) => compileUpdate(c, object, { filter, data: allowed, guards });
      if (!rows) return count(context, update);
      // RETURNING gives the keys as updated, so a changed key is read back under its new value.
      return inTransaction(context, async (on) => readBack(on, context, info, keysOf(await run(on, update))));
    },
    delete(filter, context, info) {
      const access = accessOf(context);
      const guards = writeGuards({ input, object, rules: access }, "delete", info);
      const remove = (c: Compilation) => compileDelete(c, object, filter, guards);
      if (!rows) return count(context, remove);
      return inTransaction(context, async (on) => {
        // The rows as they were, relations included, read in the transaction before they go: those
        // the delete takes that the role may also read.
        const before = await runStatement(
          input,
          { engine: on.engine, querier: on.tx, access },
          info,
          (c, selection) =>
            compileList(c, object, { filter: allOf(filter, guards), order_by: keyOrder(object) }, selection),
        );
        await run(on, remove);
        return before;
      });
    },
  };
}

/**
 * Writes made by the delegate; the engine finds the keys the filter matches and reads the rows
 * back (after an insert or update) or before (a delete) with the request's selection.
 */
function delegatedWrites(
  input: SourceSchemaInput,
  object: CatalogObject,
  delegate: DelegatedWrites,
): TableWrites {
  const rows = input.mutationResults === "rows";
  const keySelection: PlannedField[] = object.pk.map((field) => ({
    key: field.name,
    meta: { kind: "column", field },
    args: {},
    selection: [],
  }));
  // A read-only engine refuses the write before the filter is even compiled, as its transactions do.
  const writable = async (context: unknown): Promise<void> => {
    const engine = input.engine(context);
    if (engine.writable) return;
    await engine.transaction(() => Promise.resolve());
    throw new DataInputError(`${object.model.name} cannot be written here: its database is read-only`);
  };
  /** The keys of the rows the filter and the role's guards match. */
  const keysMatching = async (
    context: unknown,
    filter: unknown,
    guards: readonly unknown[],
  ): Promise<Row[]> => {
    await writable(context);
    const engine = input.engine(context);
    const c = createCompilation(input.catalog, engine.dialect);
    const sql = compileList(c, object, { filter: allOf(filter, guards) }, keySelection);
    const found = await engine.query(sql, c.params.values);
    return found.map((r) => engine.dialect.parseJson(r["row"]) as Row);
  };
  const read = (context: unknown, info: GraphQLResolveInfo, keys: readonly Row[]) =>
    keys.length === 0
      ? Promise.resolve([])
      : runStatement(
          input,
          { engine: input.engine(context), access: accessOf(context) },
          info,
          (c, selection) =>
            compileList(c, object, { filter: byKeys(keys), order_by: keyOrder(object) }, selection),
        );
  return {
    async insert(data, context, info) {
      const allowed = restrictInsertData(
        { input, object, rules: accessOf(context) },
        requireObject(data),
        info,
      );
      await writable(context);
      const key = await delegate.insert(requireObject(allowed), context);
      if (!rows && object.pk.length === 0) return operationResult(1);
      const [inserted] = await read(context, info, [key]);
      return inserted ?? null;
    },
    async update(filter, data, context, info) {
      const access = accessOf(context);
      const guards = writeGuards({ input, object, rules: access }, "update", info);
      const allowed = restrictUpdateData({ input, object, rules: access }, requireObject(data), info);
      const keys = await keysMatching(context, requireFilter(filter), guards);
      if (keys.length > 0) await delegate.update(keys, requireObject(allowed), context);
      return rows ? read(context, info, keys) : operationResult(keys.length);
    },
    async delete(filter, context, info) {
      const guards = writeGuards({ input, object, rules: accessOf(context) }, "delete", info);
      const keys = await keysMatching(context, requireFilter(filter), guards);
      const before = rows ? await read(context, info, keys) : [];
      if (keys.length > 0) await delegate.delete(keys, context);
      return rows ? before : operationResult(keys.length);
    },
  };
}

/** The client's filter ANDed with the role's guards. */
function allOf(filter: unknown, guards: readonly unknown[]): unknown {
  return guards.length === 0 ? filter : { _and: [filter, ...guards] };
}

/** A filter matching exactly the rows with these keys (`{field: value}` each). */
function byKeys(keys: readonly Row[]): Record<string, unknown> {
  return {
    _or: keys.map((key) =>
      Object.fromEntries(Object.entries(key).map(([field, value]) => [field, { eq: value }])),
    ),
  };
}

function requireObject(data: unknown): Record<string, unknown> {
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new DataInputError("data: expected an object");
  return data as Record<string, unknown>;
}

function requireFilter(filter: unknown): unknown {
  if (filter === null || filter === undefined)
    throw new FilterError("filter: required (use {} to match every row)");
  return filter;
}
