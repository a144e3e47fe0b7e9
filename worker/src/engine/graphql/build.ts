import {
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLType,
  getNamedType,
} from "graphql";
import type { FieldModel } from "../catalogs/index.js";
import type { Querier, Row, SourceEngine } from "../engine.js";
import { FilterError } from "../sql/errors.js";
import type { SourceRequestContext } from "../transactions.js";
import { DataInputError } from "../sql/errors.js";
import type { Catalog, CatalogObject } from "../sql/catalog.js";
import { createCompilation, type Compilation } from "../sql/context.js";
import { compileDelete, compileUpdate, countChanged, insertTree } from "../sql/mutate.js";
import { planSelection, type PlannedField } from "../sql/plan.js";
import { compileAggregation, compileByKey, compileList } from "../sql/select.js";
import { byResponseKey, meta, type SharedTypes } from "./shared.js";

export interface SourceSchemaInput {
  /** The data source's name (the module field when `asModule`). */
  name: string;
  /**
   * Prepended with "_" to every type name, so two sources never collide, and to every root field
   * name unless the source is a module: as in hugr, `prefix: "an"` with `as_module` gives
   * `analytics { events }` of type `an_events`; without it, `an_events` at the top level.
   */
  prefix: string;
  asModule: boolean;
  /** No insert_/update_/delete_ fields (read_only sources, and engines that cannot write). */
  readOnly: boolean;
  /** Objects without insert_/update_/delete_ fields of their own (they change with another). */
  readOnlyObjects?: readonly string[];
  catalog: Catalog;
  /**
   * The engine a request runs on: a data source has one; the core module's is the node's core
   * database, taken from the request's context, so the core schema is built once for every node.
   */
  engine: (context: unknown) => SourceEngine;
  /**
   * What `update_` and `delete_` return: hugr's `OperationResult` for data sources (and `insert_` of
   * a table without a primary key), the changed rows for the core module, whose reference examples
   * select row fields from `update_data_sources`.
   */
  mutationResults: "operation_result" | "rows";
  /**
   * Root lists without `order_by` are ordered by primary key: the core module's listings always
   * were (by name). Data sources keep the database's order, as in hugr, which costs nothing.
   */
  orderByKeyByDefault?: boolean;
  /**
   * Whether the writes of one request share one transaction per engine, committed when the request
   * ends, as hugr runs a data source's mutations. The core module commits each field on its own,
   * as it always did: its data source writes are made by another writer (in a cluster, another
   * process) that a request's transaction could not include, and an embedded or DuckDB core
   * database has one connection, which a request-long transaction would hold against that writer.
   */
  transactionPerRequest: boolean;
  /** Tables whose writes are made outside the engine, by object name (see {@link DelegatedWrites}). */
  delegatedWrites?: Readonly<Record<string, DelegatedWrites>>;
  /**
   * Fields shown masked, by object and field name (a DSN's password, an API key). A masked field
   * cannot be filtered or aggregated either: `like` or `max` would reveal what the mask hides.
   */
  masks?: Readonly<Record<string, Readonly<Record<string, (value: unknown) => unknown>>>>;
  shared: SharedTypes;
}

/**
 * The writes of one table made by code outside the engine: the core module's data sources are
 * changed through the node's writer (the management node, the operator in a managed cluster). The
 * engine still compiles the filter and reads the rows back with the request's selection; keys are
 * primary-key values, `{field: value}`.
 */
export interface DelegatedWrites {
  /** Inserts the row (and what it carries); returns its key. */
  insert(data: Record<string, unknown>, context: unknown): Promise<Row>;
  update(keys: readonly Row[], data: Record<string, unknown>, context: unknown): Promise<void>;
  delete(keys: readonly Row[], context: unknown): Promise<void>;
}

/** What a data source adds to the node's root types: fields of Query and of Mutation. */
export interface SourceSchema {
  query: GraphQLFieldConfigMap<unknown, unknown>;
  mutation: GraphQLFieldConfigMap<unknown, unknown>;
}

type Field = GraphQLFieldConfig<unknown, unknown, Record<string, unknown>>;

/**
 * Builds a data source's GraphQL: per object a type, a filter, an aggregation type and (for tables
 * of a writable source) mutation inputs, and the root fields hugr generates (`<obj>`, `<obj>_by_pk`,
 * `<obj>_by_<unique>`, `<obj>_aggregation`, `insert_/update_/delete_<obj>`), at the top level or under
 * a module field named after the source. Every root field compiles its whole selection into one SQL
 * statement (insert: one per inserted row, in one transaction).
 */
export function buildSourceSchema(input: SourceSchemaInput): SourceSchema {
  const types = createObjectTypes(input);
  const query: GraphQLFieldConfigMap<unknown, unknown> = {};
  const mutation: GraphQLFieldConfigMap<unknown, unknown> = {};
  for (const object of input.catalog.objects) {
    Object.assign(query, queryFields(input, types, object));
    const writable =
      object.model.kind === "table" && !input.readOnly && !input.readOnlyObjects?.includes(object.model.name);
    // Written rows are read back by key: returning rows needs one.
    if (writable && input.mutationResults === "rows" && object.pk.length === 0)
      throw new Error(
        `${object.model.name}: mutations that return rows need a primary key to read them back`,
      );
    if (writable) Object.assign(mutation, mutationFields(input, types, object));
  }
  if (!input.asModule) return { query, mutation };
  const module = (
    fields: GraphQLFieldConfigMap<unknown, unknown>,
    kind: string,
  ): GraphQLFieldConfigMap<unknown, unknown> =>
    Object.keys(fields).length === 0
      ? {}
      : {
          [input.name]: {
            type: new GraphQLNonNull(
              new GraphQLObjectType({
                name: `_module_${input.name}_${kind}`,
                description: `The ${input.name} data source`,
                fields,
              }),
            ),
            resolve: () => ({}),
          },
        };
  return { query: module(query, "query"), mutation: module(mutation, "mutation") };
}

interface ObjectTypes {
  /** The GraphQL type name: the object's, prefixed. */
  name(object: CatalogObject): string;
  /** The root field name: prefixed too, unless the source is a module. */
  field(object: CatalogObject): string;
  row(object: CatalogObject): GraphQLObjectType;
  filter(object: CatalogObject): GraphQLInputObjectType;
  listFilter(object: CatalogObject): GraphQLInputObjectType;
  aggregation(object: CatalogObject): GraphQLObjectType;
  insertData(object: CatalogObject): GraphQLInputObjectType;
  updateData(object: CatalogObject): GraphQLInputObjectType;
}

/**
 * The per-object types, each made once and on first use, so objects can refer to each other (their
 * fields are thunks, resolved when the schema is assembled).
 */
function createObjectTypes(input: SourceSchemaInput): ObjectTypes {
  const made = new Map<string, GraphQLObjectType | GraphQLInputObjectType>();
  const once =
    <T extends GraphQLObjectType | GraphQLInputObjectType>(
      kind: string,
      make: (object: CatalogObject) => T,
    ) =>
    (object: CatalogObject): T => {
      const key = `${object.model.name}:${kind}`;
      let type = made.get(key) as T | undefined;
      if (!type) {
        type = make(object);
        made.set(key, type);
      }
      return type;
    };
  const types: ObjectTypes = {
    name: (object) => (input.prefix ? `${input.prefix}_${object.model.name}` : object.model.name),
    field: (object) => (input.asModule ? object.model.name : types.name(object)),
    row: once("row", (object) => rowType(input, types, object)),
    filter: once("filter", (object) => filterType(input, types, object)),
    listFilter: once("list_filter", (object) => listFilterType(types, object)),
    aggregation: once("aggregation", (object) => aggregationType(input, types, object)),
    insertData: once("insert", (object) => insertDataType(input, types, object)),
    updateData: once("update", (object) => updateDataType(input, types, object)),
  };
  return types;
}

/** `<o>`: the row type, with its columns, relations and relation aggregations. */
function rowType(input: SourceSchemaInput, types: ObjectTypes, object: CatalogObject): GraphQLObjectType {
  return new GraphQLObjectType({
    name: types.name(object),
    ...described(object.model.description),
    fields: () => {
      const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
      for (const field of object.model.fields) {
        const mask = maskOf(input, object, field);
        fields[field.name] = {
          type: scalarOutput(input.shared, field),
          ...described(field.description),
          extensions: { hugr: meta({ kind: "column", field }) },
          resolve: mask ? (...args) => mask(byResponseKey(...args)) : byResponseKey,
        };
      }
      for (const relation of object.model.relations) {
        const target = input.catalog.object(relation.target);
        fields[relation.name] = {
          type: relation.kind === "one" ? types.row(target) : nonNullList(types.row(target)),
          ...described(relation.description),
          ...(relation.kind === "many" ? { args: listArgs(input, types, target) } : {}),
          extensions: { hugr: meta({ kind: "relation", relation }) },
          resolve: byResponseKey,
        };
        if (relation.kind === "one") continue;
        fields[`${relation.name}_aggregation`] = {
          type: new GraphQLNonNull(types.aggregation(target)),
          description: `Aggregates over ${relation.name}`,
          args: listArgs(input, types, target),
          extensions: { hugr: meta({ kind: "relation_aggregation", relation }) },
          resolve: byResponseKey,
        };
      }
      return fields;
    },
  });
}

/** `<o>_filter`: an operator object per field, a filter per relation, and `_and` / `_or` / `_not`. */
function filterType(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
): GraphQLInputObjectType {
  return new GraphQLInputObjectType({
    name: `${types.name(object)}_filter`,
    description: `Conditions on ${types.name(object)}; keys are combined with AND`,
    fields: () => {
      const fields: GraphQLInputFieldConfigMap = {};
      for (const field of object.model.fields) {
        if (maskOf(input, object, field)) continue;
        fields[field.name] = { type: input.shared.filter(field.type, field.list) };
      }
      for (const relation of object.model.relations) {
        const target = input.catalog.object(relation.target);
        fields[relation.name] = {
          type: relation.kind === "one" ? types.filter(target) : types.listFilter(target),
        };
      }
      const list = new GraphQLList(new GraphQLNonNull(types.filter(object)));
      for (const key of ["_and", "_or", "_not"]) fields[key] = { type: list };
      return fields;
    },
  });
}

/** `<o>_list_filter`: how a one-to-many relation is filtered. */
function listFilterType(types: ObjectTypes, object: CatalogObject): GraphQLInputObjectType {
  return new GraphQLInputObjectType({
    name: `${types.name(object)}_list_filter`,
    description: `Conditions on related ${types.name(object)} rows`,
    fields: () => ({
      any_of: { type: types.filter(object), description: "At least one related row matches" },
      all_of: { type: types.filter(object), description: "Every related row matches" },
      none_of: { type: types.filter(object), description: "No related row matches" },
    }),
  });
}

/** `<o>_aggregation`: `_rows_count` and an aggregation object per field that has one. */
function aggregationType(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
): GraphQLObjectType {
  return new GraphQLObjectType({
    name: `${types.name(object)}_aggregation`,
    description: `Aggregates over ${types.name(object)} rows`,
    fields: () => {
      const fields: GraphQLFieldConfigMap<unknown, unknown> = {
        _rows_count: {
          type: new GraphQLNonNull(input.shared.scalar("BigInt")),
          extensions: { hugr: meta({ kind: "rows_count" }) },
          resolve: byResponseKey,
        },
      };
      for (const field of object.model.fields) {
        const type = field.list ? undefined : input.shared.aggregation(field.type);
        if (!type || maskOf(input, object, field)) continue;
        fields[field.name] = {
          type: new GraphQLNonNull(type),
          extensions: { hugr: meta({ kind: "field_aggregation", field }) },
          resolve: byResponseKey,
        };
      }
      return fields;
    },
  });
}

/** `<o>_mut_input_data`: a new row's fields, and related rows of tables to insert with it. */
function insertDataType(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
): GraphQLInputObjectType {
  return new GraphQLInputObjectType({
    name: `${types.name(object)}_mut_input_data`,
    description: `A new ${types.name(object)} row, with related rows to insert in the same transaction`,
    fields: () => {
      const fields = scalarInputs(object, input.shared);
      for (const relation of object.model.relations) {
        const target = input.catalog.object(relation.target);
        if (target.model.kind !== "table") continue;
        const data = types.insertData(target);
        fields[relation.name] = {
          type: relation.kind === "one" ? data : new GraphQLList(new GraphQLNonNull(data)),
        };
      }
      return fields;
    },
  });
}

/** `<o>_mut_data`: new values of an update. */
function updateDataType(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
): GraphQLInputObjectType {
  return new GraphQLInputObjectType({
    name: `${types.name(object)}_mut_data`,
    description: `New values for ${types.name(object)} fields; fields left out keep their value`,
    fields: () => scalarInputs(object, input.shared),
  });
}

function maskOf(
  input: SourceSchemaInput,
  object: CatalogObject,
  field: FieldModel,
): ((value: unknown) => unknown) | undefined {
  return input.masks?.[object.model.name]?.[field.name];
}

function scalarOutput(shared: SharedTypes, field: FieldModel): GraphQLOutputType {
  const scalar = shared.scalar(field.type);
  const inner = field.list ? new GraphQLList(scalar) : scalar;
  return field.nonNull ? new GraphQLNonNull(inner) : inner;
}

function described(description: string | undefined): { description?: string } {
  return description ? { description } : {};
}

function scalarInputs(object: CatalogObject, shared: SharedTypes): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  for (const field of object.model.fields) {
    const scalar = shared.scalar(field.type);
    fields[field.name] = { type: field.list ? new GraphQLList(scalar) : scalar };
  }
  return fields;
}

/** hugr's list arguments: filter, order_by, limit, offset, distinct_on. */
function listArgs(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
): GraphQLFieldConfigArgumentMap {
  return {
    filter: { type: types.filter(object) },
    order_by: { type: new GraphQLList(new GraphQLNonNull(input.shared.orderBy)) },
    limit: { type: GraphQLInt },
    offset: { type: GraphQLInt },
    distinct_on: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
  };
}

function nonNullList(type: GraphQLObjectType): GraphQLOutputType {
  return new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(type)));
}

function queryFields(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
): Record<string, Field> {
  const { shared } = input;
  const name = types.field(object);
  const row = types.row(object);
  const run = (context: unknown, info: GraphQLResolveInfo, compile: Compile) =>
    runStatement(input, { engine: input.engine(context) }, info, compile);
  const fields: Record<string, Field> = {
    [name]: {
      type: nonNullList(row),
      ...described(object.model.description),
      args: listArgs(input, types, object),
      resolve: (_source, args, context, info) =>
        run(context, info, (c, selection) =>
          compileList(c, object, defaultOrder(input, object, args), selection),
        ),
    },
    [`${name}_aggregation`]: {
      type: new GraphQLNonNull(types.aggregation(object)),
      description: `Aggregates over ${types.name(object)}`,
      args: listArgs(input, types, object),
      resolve: async (_source, args, context, info) =>
        (await run(context, info, (c, selection) => compileAggregation(c, object, args, selection)))[0],
    },
  };
  const byKey = (fieldName: string, keyFields: readonly FieldModel[], description: string) => {
    fields[fieldName] = {
      type: row,
      description,
      args: Object.fromEntries(
        keyFields.map((f) => [
          f.name,
          { type: new GraphQLNonNull(shared.scalar(f.type)) as GraphQLType as never },
        ]),
      ),
      resolve: async (_source, args, context, info) =>
        (await run(context, info, (c, selection) => compileByKey(c, object, args, selection)))[0] ?? null,
    };
  };
  const typeName = types.name(object);
  if (object.pk.length > 0) byKey(`${name}_by_pk`, object.pk, `One ${typeName} row by primary key`);
  for (const unique of object.model.uniques) {
    const keyFields = unique.fields
      .map((f) => object.field(f))
      .filter((f): f is FieldModel => f !== undefined);
    byKey(
      `${name}_by_${unique.querySuffix}`,
      keyFields,
      `One ${typeName} row by ${unique.fields.join(", ")}`,
    );
  }
  return fields;
}

function defaultOrder(
  input: SourceSchemaInput,
  object: CatalogObject,
  args: Record<string, unknown>,
): Record<string, unknown> {
  if (!input.orderByKeyByDefault || args["order_by"] || object.pk.length === 0) return args;
  return { ...args, order_by: keyOrder(object) };
}

function mutationFields(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
): Record<string, Field> {
  const name = types.field(object);
  const typeName = types.name(object);
  const row = types.row(object);
  const rows = input.mutationResults === "rows";
  const result = input.shared.operationResult;
  const filter = { type: new GraphQLNonNull(types.filter(object)) };
  const writes = writesOf(input, object);
  const inOrder = <T>(context: unknown, write: () => Promise<T>): Promise<T> =>
    (context as SourceRequestContext).sourceTransactions.inOrder(write);
  return {
    [`insert_${name}`]: {
      type: rows || object.pk.length > 0 ? row : result,
      description: `Inserts a ${typeName} row (and the related rows given with it, in the same transaction)`,
      args: { data: { type: new GraphQLNonNull(types.insertData(object)) } },
      resolve: (_source, args, context, info) =>
        inOrder(context, () => writes.insert(args["data"], context, info)),
    },
    [`update_${name}`]: {
      type: rows ? nonNullList(row) : result,
      description: rows
        ? `Updates the ${typeName} rows matching the filter; returns them as updated`
        : `Updates the ${typeName} rows matching the filter`,
      args: { filter, data: { type: new GraphQLNonNull(types.updateData(object)) } },
      resolve: (_source, args, context, info) =>
        inOrder(context, () => writes.update(args["filter"], args["data"], context, info)),
    },
    [`delete_${name}`]: {
      type: rows ? nonNullList(row) : result,
      description: rows
        ? `Deletes the ${typeName} rows matching the filter; returns them as they were`
        : `Deletes the ${typeName} rows matching the filter`,
      args: { filter },
      resolve: (_source, args, context, info) =>
        inOrder(context, () => writes.delete(args["filter"], context, info)),
    },
  };
}

/** How a table's three mutations run: compiled by the engine, or delegated (see DelegatedWrites). */
interface TableWrites {
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

function writesOf(input: SourceSchemaInput, object: CatalogObject): TableWrites {
  const delegated = input.delegatedWrites?.[object.model.name];
  return delegated ? delegatedWrites(input, object, delegated) : compiledWrites(input, object);
}

/** Every write runs in the request's transaction on the engine (see engine/transactions.ts). */
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
    info: GraphQLResolveInfo,
    keys: readonly Row[],
  ) =>
    keys.length === 0
      ? Promise.resolve([])
      : runStatement(input, { engine: on.engine, querier: on.tx }, info, (c, selection) =>
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
    insert: (data, context, info) =>
      inTransaction(context, async ({ tx, engine }) => {
        const target = { tx, catalog, dialect: engine.dialect };
        if (!rows && object.pk.length === 0) {
          await insertTree(target, object, data, []);
          return operationResult(1);
        }
        const selection = planSelection(info, getNamedType(info.returnType) as GraphQLObjectType);
        return insertTree(target, object, data, selection);
      }),
    update(filter, data, context, info) {
      const update = (c: Compilation) => compileUpdate(c, object, { filter, data });
      if (!rows) return count(context, update);
      // RETURNING gives the keys as updated, so a changed key is read back under its new value.
      return inTransaction(context, async (on) => readBack(on, info, keysOf(await run(on, update))));
    },
    delete(filter, context, info) {
      const remove = (c: Compilation) => compileDelete(c, object, filter);
      if (!rows) return count(context, remove);
      return inTransaction(context, async (on) => {
        // The rows as they were, relations included, read in the transaction before they go.
        const before = await runStatement(
          input,
          { engine: on.engine, querier: on.tx },
          info,
          (c, selection) => compileList(c, object, { filter, order_by: keyOrder(object) }, selection),
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
  const keysMatching = async (context: unknown, filter: unknown): Promise<Row[]> => {
    await writable(context);
    const engine = input.engine(context);
    const c = createCompilation(input.catalog, engine.dialect);
    const sql = compileList(c, object, { filter }, keySelection);
    const found = await engine.query(sql, c.params.values);
    return found.map((r) => engine.dialect.parseJson(r["row"]) as Row);
  };
  const read = (context: unknown, info: GraphQLResolveInfo, keys: readonly Row[]) =>
    keys.length === 0
      ? Promise.resolve([])
      : runStatement(input, { engine: input.engine(context) }, info, (c, selection) =>
          compileList(c, object, { filter: byKeys(keys), order_by: keyOrder(object) }, selection),
        );
  return {
    async insert(data, context, info) {
      await writable(context);
      const key = await delegate.insert(requireObject(data), context);
      if (!rows && object.pk.length === 0) return operationResult(1);
      const [inserted] = await read(context, info, [key]);
      return inserted ?? null;
    },
    async update(filter, data, context, info) {
      const keys = await keysMatching(context, requireFilter(filter));
      if (keys.length > 0) await delegate.update(keys, requireObject(data), context);
      return rows ? read(context, info, keys) : operationResult(keys.length);
    },
    async delete(filter, context, info) {
      const keys = await keysMatching(context, requireFilter(filter));
      const before = rows ? await read(context, info, keys) : [];
      if (keys.length > 0) await delegate.delete(keys, context);
      return rows ? before : operationResult(keys.length);
    },
  };
}

/** A filter matching exactly the rows with these keys (`{field: value}` each). */
function byKeys(keys: readonly Row[]): Record<string, unknown> {
  return {
    _or: keys.map((key) =>
      Object.fromEntries(Object.entries(key).map(([field, value]) => [field, { eq: value }])),
    ),
  };
}

/** order_by on the primary key, so rows written together come back in a stable order. */
function keyOrder(object: CatalogObject): { field: string }[] {
  return object.pk.map((field) => ({ field: field.name }));
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

type Compile = (c: Compilation, selection: PlannedField[]) => string;

/**
 * Compiles the field's selection into one statement, runs it (on `querier`: the request's
 * transaction for writes, the engine for reads), and returns the rows' JSON.
 */
async function runStatement(
  input: SourceSchemaInput,
  on: { engine: SourceEngine; querier?: Querier },
  info: GraphQLResolveInfo,
  compile: Compile,
): Promise<unknown[]> {
  const { engine, querier = engine } = on;
  const c = createCompilation(input.catalog, engine.dialect);
  const sql = compile(c, planSelection(info, getNamedType(info.returnType) as GraphQLObjectType));
  const rows = await querier.query(sql, c.params.values);
  return rows.map((r) => engine.dialect.parseJson(r["row"]));
}
