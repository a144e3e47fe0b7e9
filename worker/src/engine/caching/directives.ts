import {
  DirectiveLocation,
  GraphQLDirective,
  GraphQLError,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
} from "graphql";
import { parseInterval } from "./policy.js";

/** hugr's Interval: whole seconds, or an interval string ("300s", "10 minutes"); parsed to milliseconds. */
export const IntervalScalar = new GraphQLScalarType<number, unknown>({
  name: "Interval",
  description: 'A length of time: whole seconds, or an interval such as "300s" or "10 minutes"',
  serialize: (value) => value,
  parseValue: (value) => interval(value),
  parseLiteral: (ast) => {
    if (ast.kind === Kind.INT) return interval(Number(ast.value));
    if (ast.kind === Kind.STRING) return interval(ast.value);
    throw new GraphQLError("Interval must be whole seconds or an interval string");
  },
});

function interval(value: unknown): number {
  const parsed = parseInterval(value);
  if (typeof parsed === "string") throw new GraphQLError(`Interval: ${parsed}`);
  return parsed;
}

/** hugr's `@cache(ttl, key, tags)`: on a query's field, and on a type or field of a catalog. */
export const CACHE_DIRECTIVE = new GraphQLDirective({
  name: "cache",
  description: "Caches the field's result: for ttl (default CACHE_TTL), under key, dropped with tags",
  locations: [DirectiveLocation.FIELD, DirectiveLocation.OBJECT, DirectiveLocation.FIELD_DEFINITION],
  args: {
    ttl: { type: IntervalScalar, description: "Time to live of the cached result" },
    key: {
      type: GraphQLString,
      description: "The key to keep the result under, instead of one from the query",
    },
    tags: {
      type: new GraphQLList(new GraphQLNonNull(GraphQLString)),
      description: "Tags whose invalidation drops the result",
    },
  },
});

export const NO_CACHE_DIRECTIVE = new GraphQLDirective({
  name: "no_cache",
  description: "Reads the field from its source, neither reading nor writing the cache",
  locations: [DirectiveLocation.FIELD],
});

export const INVALIDATE_CACHE_DIRECTIVE = new GraphQLDirective({
  name: "invalidate_cache",
  description: "Reads the field from its source and replaces its cached result",
  locations: [DirectiveLocation.FIELD],
});

/** hugr's query directives of its cache, as its base schema declares them. */
export const CACHE_DIRECTIVES: readonly GraphQLDirective[] = [
  CACHE_DIRECTIVE,
  NO_CACHE_DIRECTIVE,
  INVALIDATE_CACHE_DIRECTIVE,
];

/** The schema with the cache's directives declared, so queries may use them. */
export function withCacheDirectives(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, directives: [...config.directives, ...CACHE_DIRECTIVES] });
}
