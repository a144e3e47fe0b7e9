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
import type { FieldModel } from "../../catalogs/index.js";
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
  aggregation(object: CatalogObject): GraphQLObjectType;
  insertData(object: CatalogObject): GraphQLInputObjectType;
  updateData(object: CatalogObject): GraphQLInputObjectType;
}

/** The per-object types, created lazily and once, so objects can refer to each other. */
function createObjectTypes(input: SourceSchemaInput): ObjectTypes {
  const { catalog, shared } = input;
  const made = new Map<string, GraphQLObjectType | GraphQLInputObjectType>();
  const once = <T extends GraphQLObjectType | GraphQLInputObjectType>(key: string, make: () => T): T => {
    let type = made.get(key) as T | undefined;
    if (!type) {
      type = make();
      made.set(key, type);
    }
    return type;
  };
  const name = (object: CatalogObject) =>
    input.prefix ? `${input.prefix}_${object.model.name}` : object.model.name;
  const scalarType = (field: FieldModel): GraphQLOutputType => {
    const scalar = shared.scalar(field.type);
    const inner = field.list ? new GraphQLList(scalar) : scalar;
    return field.nonNull ? new GraphQLNonNull(inner) : inner;
  };
  const types: ObjectTypes = {
    name,
    row: (object) =>
      once(
        `${object.model.name}:row`,
        () =>
          new GraphQLObjectType({
            name: name(object),
            ...(object.model.description ? { description: object.model.description } : {}),
            fields: () => {
              const fields: GraphQLFieldConfigMap<unknown, unknown> = {};
              for (const field of object.model.fields) {
                fields[field.name] = {
                  type: scalarType(field),
                  ...(field.description ? { description: field.description } : {}),
                  extensions: { hugr: meta({ kind: "column", field }) },
                  resolve: byResponseKey,
                };
              }
              for (const relation of object.model.relations) {
                const target = catalog.object(relation.target);
                const description = relation.description ? { description: relation.description } : {};
                if (relation.kind === "one") {
                  fields[relation.name] = {
                    type: types.row(target),
                    ...description,
                    extensions: { hugr: meta({ kind: "relation", relation }) },
                    resolve: byResponseKey,
                  };
                  continue;
                }
                fields[relation.name] = {
                  type: nonNullList(types.row(target)),
                  ...description,
                  args: listArgs(types, target, shared),
                  extensions: { hugr: meta({ kind: "relation", relation }) },
                  resolve: byResponseKey,
                };
                fields[`${relation.name}_aggregation`] = {
                  type: new GraphQLNonNull(types.aggregation(target)),
                  description: `Aggregates over ${relation.name}`,
                  args: listArgs(types, target, shared),
                  extensions: { hugr: meta({ kind: "relation_aggregation", relation }) },
                  resolve: byResponseKey,
                };
              }
              return fields;
            },
          }),
      ),
    filter: (object) =>
      once(
        `${object.model.name}:filter`,
        () =>
          new GraphQLInputObjectType({
            name: `${name(object)}_filter`,
            description: `Conditions on ${name(object)}; keys are combined with AND`,
            fields: () => {
              const self = types.filter(object);
              const fields: GraphQLInputFieldConfigMap = {};
              for (const field of object.model.fields)
                fields[field.name] = { type: shared.filter(field.type, field.list) };
              for (const relation of object.model.relations) {
                const target = catalog.object(relation.target);
                fields[relation.name] = {
                  type: relation.kind === "one" ? types.filter(target) : listFilter(target),
                };
              }
              fields["_and"] = { type: new GraphQLList(new GraphQLNonNull(self)) };
              fields["_or"] = { type: new GraphQLList(new GraphQLNonNull(self)) };
              fields["_not"] = { type: new GraphQLList(new GraphQLNonNull(self)) };
              return fields;
            },
          }),
      ),
    aggregation: (object) =>
      once(
        `${object.model.name}:aggregation`,
        () =>
          new GraphQLObjectType({
            name: `${name(object)}_aggregation`,
            description: `Aggregates over ${name(object)} rows`,
            fields: () => {
              const fields: GraphQLFieldConfigMap<unknown, unknown> = {
                _rows_count: {
                  type: new GraphQLNonNull(shared.scalar("BigInt")),
                  extensions: { hugr: meta({ kind: "rows_count" }) },
                  resolve: byResponseKey,
                },
              };
              for (const field of object.model.fields) {
                const type = field.list ? undefined : shared.aggregation(field.type);
                if (!type) continue;
                fields[field.name] = {
                  type: new GraphQLNonNull(type),
                  extensions: { hugr: meta({ kind: "field_aggregation", field }) },
                  resolve: byResponseKey,
                };
              }
              return fields;
            },
          }),
      ),
    insertData: (object) =>
      once(
        `${object.model.name}:insert`,
        () =>
          new GraphQLInputObjectType({
            name: `${name(object)}_mut_input_data`,
            description: `A new ${name(object)} row, with related rows to insert in the same transaction`,
            fields: () => {
              const fields = scalarInputs(object, shared);
              for (const relation of object.model.relations) {
                const target = catalog.object(relation.target);
                if (target.model.kind !== "table") continue;
                const data = types.insertData(target);
                fields[relation.name] = {
                  type: relation.kind === "one" ? data : new GraphQLList(new GraphQLNonNull(data)),
                };
              }
              return fields;
            },
          }),
      ),
    updateData: (object) =>
      once(
        `${object.model.name}:update`,
        () =>
          new GraphQLInputObjectType({
            name: `${name(object)}_mut_data`,
            description: `New values for ${name(object)} fields; fields left out keep their value`,
            fields: () => scalarInputs(object, shared),
          }),
      ),
  };
  const listFilter = (target: CatalogObject) =>
    once(
      `${target.model.name}:list_filter`,
      () =>
        new GraphQLInputObjectType({
          name: `${name(target)}_list_filter`,
          description: `Conditions on related ${name(target)} rows`,
          fields: () => ({
            any_of: { type: types.filter(target), description: "At least one related row matches" },
            all_of: { type: types.filter(target), description: "Every related row matches" },
            none_of: { type: types.filter(target), description: "No related row matches" },
          }),
        }),
    );
  return types;
}

function scalarInputs(object: CatalogObject, shared: SharedTypes): GraphQLInputFieldConfigMap {
  const fields: GraphQLInputFieldConfigMap = {};
  for (const field of object.model.fields) {
    const scalar = shared.scalar(field.type);
    fields[field.name] = { type: field.list ? new GraphQLList(scalar) : scalar };
  }
  return fields;
}

function listArgs(
  types: ObjectTypes,
  object: CatalogObject,
  shared: SharedTypes,
): GraphQLFieldConfigArgumentMap {
  return {
    filter: { type: types.filter(object) },
    order_by: { type: new GraphQLList(new GraphQLNonNull(shared.orderBy)) },
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
      ...(object.model.description ? { description: object.model.description } : {}),
      args: listArgs(types, object, shared),
      resolve: (_source, args, _context, info) =>
        run(info, (c, selection) => compileList(c, object, args, selection)),
    },
    [`${name}_aggregation`]: {
      type: new GraphQLNonNull(types.aggregation(object)),
      description: `Aggregates over ${name}`,
      args: listArgs(types, object, shared),
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
  // Every write runs in the request's transaction on this source (see sources/transactions.ts).
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
