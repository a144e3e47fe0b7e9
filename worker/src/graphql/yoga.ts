import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLError, ValidationContext } from "graphql";
import { createYoga, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "@hugr/common";
import type { WorkerMetrics } from "../observability/index.js";
import type { GraphQLContext } from "./context.js";
import { createErrorMasker } from "./errors.js";
import { useErrorMetrics } from "./plugins/use-error-metrics.js";
import { buildSchema } from "./schema/index.js";

export interface GraphQLHandlerOptions {
  /** Called once per request: cheap, returning shared parts plus what can change between requests. */
  context: () => GraphQLContext;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Cluster mode: serve the core.cluster module. */
  cluster: boolean;
}

/** Query limits: generous for real use, small enough that a hostile document cannot hog a node. */
export const QUERY_LIMITS = { maxDepth: 15, maxTokens: 5_000, maxAliases: 50 } as const;

/**
 * graphql-armor throws from inside validation by default, which yoga answers as an execution
 * error (HTTP 200); reporting through the validation context makes it a validation error (400).
 */
const asValidationError = {
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};

export type GraphQLHandler = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

/**
 * graphql-yoga serving the node's schema at /graphql (GET and POST). GraphiQL is served by the
 * HTTP layer at /admin, not here, so ADMIN_UI=false really removes it.
 */
export function createGraphQLHandler(options: GraphQLHandlerOptions): GraphQLHandler {
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema: buildSchema({ cluster: options.cluster }),
    graphqlEndpoint: "/graphql",
    graphiql: false,
    landingPage: false,
    logging: false,
    context: () => options.context(),
    maskedErrors: { maskError: createErrorMasker(options.logger) },
    plugins: [
      maxDepthPlugin({ n: QUERY_LIMITS.maxDepth, flattenFragments: true, ...asValidationError }),
      maxTokensPlugin({ n: QUERY_LIMITS.maxTokens }),
      maxAliasesPlugin({ n: QUERY_LIMITS.maxAliases, ...asValidationError }),
      useErrorMetrics(options.metrics.graphqlErrors),
    ],
  });
}
