import { filterSchema, pruneSchema } from "@graphql-tools/utils";
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { withCoreTables } from "../../core-module/index.js";
import { withCacheDirectives } from "../../engine/caching/directives.js";
import { builder } from "../builder.js";
import "./scalars.js";
import "./modules.js";
import "./data-source-functions.js";
import "./cluster.js";
import "./auth.js";
import "./cache.js";

export interface SchemaOptions {
  /** Cluster mode: the schema includes the core.cluster module, as in hugr. */
  cluster: boolean;
}

/** The node's GraphQL schema: the core module, and core.cluster in cluster mode. */
export function buildSchema(options: SchemaOptions): GraphQLSchema {
  base ??= withCoreTables(builder.toSchema({ sortSchema: true }));
  // The cache's directives after pruning, which would drop the Interval scalar only they use.
  full ??= withCacheDirectives(base);
  if (options.cluster) return full;
  single ??= withCacheDirectives(
    pruneSchema(filterSchema({ schema: base, fieldFilter: (_type, field) => field !== "cluster" })),
  );
  return single;
}

let base: GraphQLSchema | undefined;
let full: GraphQLSchema | undefined;
let single: GraphQLSchema | undefined;

/** The schema as sorted SDL, as committed in worker/schema.graphql and worker/schema.cluster.graphql. */
export function printSortedSchema(options: SchemaOptions): string {
  return printSchema(lexicographicSortSchema(buildSchema(options)));
}
