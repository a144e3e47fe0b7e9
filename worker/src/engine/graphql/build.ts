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
import type { Querier, SourceEngine } from "../engine.js";
import type { SourceRequestContext } from "../transactions.js";
import type { Catalog, CatalogObject } from "../sql/catalog.js";
import { createCompilation, type Compilation } from "../sql/context.js";
import { compileDelete, compileUpdate, insertTree } from "../sql/mutate.js";
import { planSelection, type PlannedField } from "../sql/plan.js";
import { compileAggregation, compileByKey, compileList } from "../sql/select.js";
import { byResponseKey, meta, type SharedTypes } from "./shared.js";

export interface SourceSchemaInput {
  /** The data source's name (the module field when `asModule`). */
  name: string;
  /** Prepended with "_" to every type and root field name, so two sources never collide. */
  prefix: string;
  asModule: boolean;
  /** No insert_/update_/delete_ fields (read_only sources, and engines that cannot write). */
  readOnly: boolean;
  catalog: Catalog;
  engine: SourceEngine;
  shared: SharedTypes;
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
    if (object.model.kind === "table" && !input.readOnly)
      Object.assign(mutation, mutationFields(input, types, object));
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
  name(object: CatalogObject): string;
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
        fields[field.name] = {
          type: scalarOutput(input.shared, field),
          ...described(field.description),
          extensions: { hugr: meta({ kind: "column", field }) },
          resolve: byResponseKey,
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
      for (const field of object.model.fields)
        fields[field.name] = { type: input.shared.filter(field.type, field.list) };
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
        if (!type) continue;
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
  const { engine, shared } = input;
  const name = types.name(object);
  const row = types.row(object);
  const run = (info: GraphQLResolveInfo, compile: Compile) => runStatement(engine, input, info, compile);
  const fields: Record<string, Field> = {
    [name]: {
      type: nonNullList(row),
      ...described(object.model.description),
      args: listArgs(input, types, object),
      resolve: (_source, args, _context, info) =>
        run(info, (c, selection) => compileList(c, object, args, selection)),
    },
    [`${name}_aggregation`]: {
      type: new GraphQLNonNull(types.aggregation(object)),
      description: `Aggregates over ${name}`,
      args: listArgs(input, types, object),
      resolve: async (_source, args, _context, info) =>
        (await run(info, (c, selection) => compileAggregation(c, object, args, selection)))[0],
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
      resolve: async (_source, args, _context, info) =>
        (await run(info, (c, selection) => compileByKey(c, object, args, selection)))[0] ?? null,
    };
  };
  if (object.pk.length > 0) byKey(`${name}_by_pk`, object.pk, `One ${name} row by primary key`);
  for (const unique of object.model.uniques) {
    const keyFields = unique.fields
      .map((f) => object.field(f))
      .filter((f): f is FieldModel => f !== undefined);
    byKey(`${name}_by_${unique.querySuffix}`, keyFields, `One ${name} row by ${unique.fields.join(", ")}`);
  }
  return fields;
}

function mutationFields(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
): Record<string, Field> {
  const { catalog, engine } = input;
  const name = types.name(object);
  const row = types.row(object);
  const filter = { type: new GraphQLNonNull(types.filter(object)) };
  // Every write runs in the request's transaction on this source (see engine/transactions.ts).
  const write = async (context: unknown, info: GraphQLResolveInfo, compile: Compile) => {
    const tx = await (context as SourceRequestContext).sourceTransactions.querier(engine);
    return runStatement(tx, input, info, compile);
  };
  return {
    [`insert_${name}`]: {
      type: row,
      description: `Inserts a ${name} row (and the related rows given with it, in the same transaction)`,
      args: { data: { type: new GraphQLNonNull(types.insertData(object)) } },
      resolve: async (_source, args, context, info) => {
        const tx = await (context as SourceRequestContext).sourceTransactions.querier(engine);
        return insertTree(
          { tx, catalog, dialect: engine.dialect },
          object,
          args["data"],
          planSelection(info, row),
        );
      },
    },
    [`update_${name}`]: {
      type: nonNullList(row),
      description: `Updates the ${name} rows matching the filter; returns them as updated`,
      args: { filter, data: { type: new GraphQLNonNull(types.updateData(object)) } },
      resolve: (_source, args, context, info) =>
        write(context, info, (c, selection) =>
          compileUpdate(c, object, { filter: args["filter"], data: args["data"] }, selection),
        ),
    },
    [`delete_${name}`]: {
      type: nonNullList(row),
      description: `Deletes the ${name} rows matching the filter; returns them as they were`,
      args: { filter },
      resolve: (_source, args, context, info) =>
        write(context, info, (c, selection) => compileDelete(c, object, args["filter"], selection)),
    },
  };
}

type Compile = (c: Compilation, selection: PlannedField[]) => string;

/** Compiles the field's selection into one statement, runs it, and returns the rows' JSON. */
async function runStatement(
  querier: Querier,
  input: SourceSchemaInput,
  info: GraphQLResolveInfo,
  compile: Compile,
): Promise<unknown[]> {
  const c = createCompilation(input.catalog, input.engine.dialect);
  const sql = compile(c, planSelection(info, getNamedType(info.returnType) as GraphQLObjectType));
  const rows = await querier.query(sql, c.params.values);
  return rows.map((r) => input.engine.dialect.parseJson(r["row"]));
}
