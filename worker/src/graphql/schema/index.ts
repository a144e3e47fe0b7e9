import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { builder } from "../builder.js";
import "./scalars.js";
import "./modules.js";
import "./data-sources.js";
import "./data-source-functions.js";

/** The node's GraphQL schema: the core module. Later modules register themselves the same way. */
export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: true });
  return schema;
}

let schema: GraphQLSchema | undefined;

/** The schema as sorted SDL, as committed in worker/schema.graphql. */
export function printSortedSchema(schema: GraphQLSchema = buildSchema()): string {
  return printSchema(lexicographicSortSchema(schema));
}
