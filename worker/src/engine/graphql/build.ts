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
} from "graphql";
import type { FieldModel } from "../catalogs/index.js";
import type { CatalogObject } from "../sql/catalog.js";
import { compileAggregation, compileByKey, compileList } from "../sql/select.js";
import type { SourceRequestContext } from "../transactions.js";
import { cachedRead, wrote } from "../caching/results.js";
import { accessOf, objectTypeName } from "./access.js";
import type { SourceSchemaInput } from "./input.js";
import { byResponseKey, meta, type SharedTypes } from "./shared.js";
import { derivedResolver, readResolver } from "./resolver-kinds.js";
import { createReadRunner, keyOrder, type Compile } from "./statement.js";
import { writesOf } from "./writes.js";

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
            resolve: derivedResolver(() => ({})),
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
    name: (object) => objectTypeName(input, object),
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
    // Table-level permission rules name the object type; its aggregation type carries it too.
    extensions: { hugrDataObject: types.name(object) },
    fields: () => {
      const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
      for (const field of object.model.fields) {
        const mask = maskOf(input, object, field);
        fields[field.name] = {
          type: scalarOutput(input.shared, field),
          ...described(field.description),
          extensions: { hugr: meta({ kind: "column", field }) },
          resolve: mask ? derivedResolver((...args) => mask(byResponseKey(...args))) : byResponseKey,
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
    extensions: { hugrDataObject: types.name(object) },
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
  const read = createReadRunner(input);
  const run = (context: unknown, info: GraphQLResolveInfo, compile: Compile) => {
    const access = accessOf(context);
    const on = { source: input.name, objectPolicy: object.model.cache, access };
    return cachedRead(context, info, on, () => read(input.engine(context), info, compile, access));
  };
  const fields: Record<string, Field> = {
    [name]: {
      type: nonNullList(row),
      ...described(object.model.description),
      args: listArgs(input, types, object),
      resolve: readResolver((_source, args, context, info) =>
        run(context, info, (c, selection) =>
          compileList(c, object, defaultOrder(input, object, args), selection),
        ),
      ),
    },
    [`${name}_aggregation`]: {
      type: new GraphQLNonNull(types.aggregation(object)),
      description: `Aggregates over ${types.name(object)}`,
      args: listArgs(input, types, object),
      resolve: readResolver(
        async (_source, args, context, info) =>
          (await run(context, info, (c, selection) => compileAggregation(c, object, args, selection)))[0],
      ),
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
      resolve: readResolver(
        async (_source, args, context, info) =>
          (await run(context, info, (c, selection) => compileByKey(c, object, args, selection)))[0] ?? null,
      ),
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
  /** Runs a write in document order, then records what it wrote for the cache. */
  const inOrder = <T>(context: unknown, write: () => Promise<T>, data?: unknown): Promise<T> =>
    (context as SourceRequestContext).sourceTransactions.inOrder(async () => {
      const result = await write();
      wrote(context, writtenTypes(input, types, object, data));
      return result;
    });
  return {
    [`insert_${name}`]: {
      type: rows || object.pk.length > 0 ? row : result,
      description: `Inserts a ${typeName} row (and the related rows given with it, in the same transaction)`,
      args: { data: { type: new GraphQLNonNull(types.insertData(object)) } },
      resolve: (_source, args, context, info) =>
        inOrder(context, () => writes.insert(args["data"], context, info), args["data"]),
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

/** The object types a write changes: the object's, and those of the related rows an insert carries. */
function writtenTypes(
  input: SourceSchemaInput,
  types: ObjectTypes,
  object: CatalogObject,
  data: unknown,
): string[] {
  const found = new Set<string>([types.name(object)]);
  const visit = (current: CatalogObject, value: unknown) => {
    const rows = Array.isArray(value) ? value : [value];
    for (const row of rows) {
      if (typeof row !== "object" || row === null) continue;
      for (const [key, nested] of Object.entries(row as Record<string, unknown>)) {
        const relation = current.relation(key);
        if (!relation || nested === null || nested === undefined) continue;
        const target = input.catalog.object(relation.target);
        found.add(types.name(target));
        // A many-to-many insert writes the link table too.
        if (relation.through) found.add(types.name(input.catalog.object(relation.through.object)));
        visit(target, nested);
      }
    }
  };
  visit(object, data);
  return [...found];
}
