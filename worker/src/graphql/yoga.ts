import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLError, GraphQLSchema, ValidationContext } from "graphql";
import { createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { Logger } from "@hugr/common";
import { AuthFailure, type RequestAuth } from "../auth/index.js";
import type { Cache } from "../cache/index.js";
import { createRequestCache, type RequestCache } from "../engine/caching/results.js";
import type { WorkerMetrics } from "../observability/index.js";
import type { GraphQLContext } from "./context.js";
import { createErrorMasker } from "./errors.js";
import { useCachedResponses } from "./plugins/use-cached-responses.js";
import { useErrorMetrics } from "./plugins/use-error-metrics.js";
import { usePermissions } from "./plugins/use-permissions.js";
import { useSourceTransactions } from "./plugins/use-source-transactions.js";

export interface GraphQLHandlerOptions {
  /** Called once per request: cheap, returning shared parts plus what can change between requests. */
  context: (auth: RequestAuth, cache: RequestCache | undefined) => GraphQLContext;
  /** The node's cache; results of cached fields are kept in it. */
  cache?: Cache;
  /** Who asks and what they may do; throws AuthFailure (answered 401/403) when they may not ask. */
  authenticate(request: Request): Promise<RequestAuth>;
  logger: Logger;
  metrics: WorkerMetrics;
  /**
   * The node's schema (core module and loaded data sources). Each request leases the schema current
   * when it arrives and releases it once answered, so loads and unloads never disturb it.
   */
  schemas: { acquire(): { schema: GraphQLSchema; release(): void }; schema(): GraphQLSchema };
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

/**
 * Runs each request on the schema its lease holds (handed in as server context). Cheaper than yoga's
 * schema factory, which copies the server context and keeps a per-request map on every request.
 */
function useLeasedSchema(initial: GraphQLSchema): Plugin<ServerContext> {
  return {
    onPluginInit: ({ setSchema }) => setSchema(initial),
    onEnveloped: ({ setSchema, context }) => {
      if (context?.schema) setSchema(context.schema);
    },
  };
}

/** Answers GraphQL over HTTP requests. */
export interface GraphQLHandler {
  fetch(request: Request): Promise<Response>;
}

interface ServerContext extends Record<string, unknown> {
  schema: GraphQLSchema;
  auth: RequestAuth;
  cache: RequestCache | undefined;
}

/**
 * graphql-yoga serving the node's schema at /graphql (GET and POST). GraphiQL is served by the
 * HTTP layer at /admin, not here, so ADMIN_UI=false really removes it.
 */
export function createGraphQLHandler(options: GraphQLHandlerOptions): GraphQLHandler {
  const yoga: YogaServerInstance<ServerContext, GraphQLContext> = createYoga<ServerContext, GraphQLContext>({
    graphqlEndpoint: "/graphql",
    graphiql: false,
    landingPage: false,
    logging: false,
    // The HTTP layer limits bodies once (http/app.ts); yoga's limit would wrap every body in a stream.
    maxRequestBodySize: false,
    context: ({ auth, cache }) => options.context(auth, cache),
    maskedErrors: { maskError: createErrorMasker(options.logger) },
    plugins: [
      useLeasedSchema(options.schemas.schema()),
      maxDepthPlugin({ n: QUERY_LIMITS.maxDepth, flattenFragments: true, ...asValidationError }),
      maxTokensPlugin({ n: QUERY_LIMITS.maxTokens }),
      maxAliasesPlugin({ n: QUERY_LIMITS.maxAliases, ...asValidationError }),
      useErrorMetrics(options.metrics.graphqlErrors),
      usePermissions(),
      useSourceTransactions(),
      useCachedResponses(),
    ],
  });
  return {
    async fetch(request) {
      let auth: RequestAuth;
      try {
        auth = await options.authenticate(request);
      } catch (error) {
        if (error instanceof AuthFailure) return refusal(error);
        throw error;
      }
      const cache = options.cache?.enabled ? createRequestCache(options.cache) : undefined;
      const lease = options.schemas.acquire();
      try {
        const response = await yoga.fetch(request, { schema: lease.schema, auth, cache });
        return cache?.servedFromCache === undefined ? response : withMaxAge(response, cache.servedFromCache);
      } finally {
        lease.release();
      }
    },
  };
}

/**
 * A request refused before it runs, as GraphQL over HTTP answers errors: a JSON body with `errors`,
 * the code in `extensions`. A 401 names the scheme, as HTTP asks; a 503 says when to try again.
 */
function refusal(failure: AuthFailure): Response {
  const body = JSON.stringify({ errors: [{ message: failure.message, extensions: { code: failure.code } }] });
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (failure.status === 401) headers["www-authenticate"] = 'Bearer realm="hugr"';
  if (failure.status === 503) headers["retry-after"] = "1";
  return new Response(body, { status: failure.status, headers });
}

/**
 * A response with a result from the cache says how long it stays valid, as Hasura does: the least
 * time its cached results have left. Private: the answer is the asker's (their role's rules), never
 * one for a shared HTTP cache. A response with none keeps yoga's headers. The header is set on
 * yoga's response itself (its headers are mutable): a copy would pass its body on as a stream.
 */
function withMaxAge(response: Response, remainingMs: number): Response {
  response.headers.set("cache-control", `private, max-age=${Math.max(0, Math.floor(remainingMs / 1000))}`);
  return response;
}
