import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLFloat,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLString,
  Kind,
  valueFromASTUntyped,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from "graphql";
import type { ScalarName } from "../catalogs/index.js";
import type { AggregateFunction, FieldMeta } from "../sql/plan.js";
import { derivedResolver } from "./resolver-kinds.js";

/**
 * The types every data source shares: hugr's scalars, the operator objects of filters, order_by and
 * the per-type aggregation objects. Built once per core schema, reusing every one the core schema
 * already has (the core module's own, and those its tables made), so that a composed schema never has
 * two types of one name (StringFilter, OrderByField, BigInt…).
 */
export interface SharedTypes {
  scalar(name: ScalarName): GraphQLScalarType;
  filter(name: ScalarName, list: boolean): GraphQLInputObjectType;
  aggregation(name: ScalarName): GraphQLObjectType | undefined;
  orderBy: GraphQLInputType;
  /** hugr's `OperationResult`, the core module's: what data source updates and deletes return. */
  operationResult: GraphQLObjectType;
}

const cache = new WeakMap<GraphQLSchema, SharedTypes>();

export function sharedTypes(core: GraphQLSchema): SharedTypes {
  let shared = cache.get(core);
  if (!shared) {
    shared = buildSharedTypes(core);
    cache.set(core, shared);
  }
  return shared;
}

function buildSharedTypes(core: GraphQLSchema): SharedTypes {
  const existing = <T extends GraphQLNamedType>(name: string, make: () => T): T =>
    (core.getType(name) as T | null | undefined) ?? make();
  const required = <T extends GraphQLNamedType>(name: string): T => {
    const type = core.getType(name) as T | null | undefined;
    if (!type) throw new Error(`the core schema defines ${name}`);
    return type;
  };
  const scalars: Record<ScalarName, GraphQLScalarType> = {
    String: GraphQLString,
    Int: GraphQLInt,
    Float: GraphQLFloat,
    Boolean: GraphQLBoolean,
    BigInt: required<GraphQLScalarType>("BigInt"),
    Date: existing("Date", () => textScalar("Date", "A calendar date, as YYYY-MM-DD")),
    Time: existing("Time", () => textScalar("Time", "A time of day, as HH:MM:SS[.ffffff]")),
    Timestamp: existing<GraphQLScalarType>("Timestamp", () =>
      textScalar("Timestamp", "An instant, as an RFC 3339 string"),
    ),
    JSON: existing("JSON", () => jsonScalar),
  };
  const filters = new Map<string, GraphQLInputObjectType>();
  const aggregations = new Map<ScalarName, GraphQLObjectType | undefined>();
  return {
    scalar: (name) => scalars[name],
    orderBy: required<GraphQLInputObjectType>("OrderByField"),
    operationResult: required<GraphQLObjectType>("OperationResult"),
    filter(name, list) {
      const key = list ? `${name}ListFilter` : `${name}Filter`;
      let filter = filters.get(key);
      if (!filter) {
        filter = existing(key, () => makeFilter(key, scalars[name], list, name));
        filters.set(key, filter);
      }
      return filter;
    },
    aggregation(name) {
      if (!aggregations.has(name))
        aggregations.set(
          name,
          name === "JSON" ? undefined : existing(`${name}Aggregation`, () => makeAggregation(name, scalars)),
        );
      return aggregations.get(name);
    },
  };
}

/** Dates and times travel as the text the database gives (no time-zone reinterpretation). */
function textScalar(name: string, description: string): GraphQLScalarType {
  return new GraphQLScalarType({
    name,
    description,
    serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
    parseValue: (value) => {
      if (typeof value !== "string") throw new GraphQLError(`${name} must be a string`);
      return value;
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING) throw new GraphQLError(`${name} must be a string`);
      return ast.value;
    },
  });
}

/** hugr's JSON scalar, shared by the core schema and every data source. */
export const jsonScalar = new GraphQLScalarType({
  name: "JSON",
  description: "Any JSON value",
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});

const ORDERED_OPERATORS = ["eq", "gt", "gte", "lt", "lte"] as const;

function makeFilter(
  key: string,
  scalar: GraphQLScalarType,
  list: boolean,
  name: ScalarName,
): GraphQLInputObjectType {
  const listOf = new GraphQLList(new GraphQLNonNull(scalar));
  const fields: Record<string, { type: GraphQLInputType; description?: string }> = {};
  if (list) {
    fields["eq"] = { type: listOf, description: "The whole list equals this one" };
    fields["contains"] = { type: listOf, description: "Has every one of these values" };
    fields["intersects"] = { type: listOf, description: "Has at least one of these values" };
  } else if (name === "JSON") {
    fields["eq"] = { type: scalar };
    fields["contains"] = { type: scalar, description: "Contains this JSON (PostgreSQL's @>)" };
    fields["has"] = { type: GraphQLString, description: "Has this top-level key" };
    fields["has_all"] = {
      type: new GraphQLList(new GraphQLNonNull(GraphQLString)),
      description: "Has all these keys",
    };
  } else {
    for (const op of ORDERED_OPERATORS) fields[op] = { type: scalar };
    fields["in"] = { type: listOf, description: "Equal to one of the values" };
  }
  fields["is_null"] = { type: GraphQLBoolean };
  return new GraphQLInputObjectType({
    name: key,
    description: `Conditions on a ${list ? `[${name}]` : name} field; several are combined with AND`,
    fields,
  });
}

const NUMERIC: ReadonlySet<ScalarName> = new Set(["Int", "BigInt", "Float"]);

/** `{count sum avg min max}` for numbers, `{count min max}` for text and times, bool_and/bool_or. */
function makeAggregation(
  name: Exclude<ScalarName, "JSON">,
  scalars: Record<ScalarName, GraphQLScalarType>,
): GraphQLObjectType {
  const functions: [AggregateFunction, GraphQLScalarType][] = [["count", scalars.BigInt]];
  if (NUMERIC.has(name)) {
    functions.push(["sum", name === "Float" ? scalars.Float : scalars.BigInt], ["avg", scalars.Float]);
  }
  if (name === "Boolean") functions.push(["bool_and", scalars.Boolean], ["bool_or", scalars.Boolean]);
  else functions.push(["min", scalars[name]], ["max", scalars[name]]);
  return new GraphQLObjectType({
    name: `${name}Aggregation`,
    description: `Aggregates of a ${name} field over the selected rows (NULLs ignored)`,
    fields: Object.fromEntries(
      functions.map(([fn, type]) => [
        fn,
        {
          type: fn === "count" ? new GraphQLNonNull(type) : type,
          extensions: { hugr: meta({ kind: "aggregate", fn }) },
          resolve: byResponseKey,
        },
      ]),
    ),
  });
}

export function meta(value: FieldMeta): FieldMeta {
  return value;
}

/** Rows come back as JSON keyed by response key (alias or name), so two aliases of a field never clash. */
export const byResponseKey = derivedResolver(function byResponseKey(
  source: unknown,
  _args: unknown,
  _context: unknown,
  info: { path: { key: string | number } },
): unknown {
  return (source as Record<string | number, unknown>)[info.path.key];
});
