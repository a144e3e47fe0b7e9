import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Logger } from "@hugr/common";
import type { CoreDb } from "@hugr/coredb";
import type { GraphQLHandler } from "../graphql/index.js";
import type { WorkerMetrics } from "../observability/index.js";
import { requestMetrics } from "./middleware/request-metrics.js";
import type { Readiness } from "./readiness.js";

export interface AppOptions {
  graphql: GraphQLHandler;
  db: CoreDb;
  readiness: Readiness;
  metrics: WorkerMetrics;
  logger: Logger;
  /** ADMIN_UI: serve GraphiQL at /admin. */
  adminUI: boolean;
  /** CORS_ALLOWED_ORIGINS; empty: no CORS headers. */
  corsAllowedOrigins: readonly string[];
  /** In cluster mode: the signed node API the management node calls (/cluster/v1/...). */
  nodeApi?: Hono;
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * The one limit on /graphql bodies (yoga's own is off: see graphql/yoga.ts). A body with a
 * Content-Length is judged by it alone (Node's parser never reads past it), which leaves the request
 * untouched: the body is then read straight from the socket when yoga parses it. hono's bodyLimit
 * reads `request.body`, which makes every request a web stream (measured: some 9 % of a cached
 * answer's CPU); it stays for bodies without a length (chunked), whose size only reading tells.
 */
function graphqlBodyLimit(maxSize: number): MiddlewareHandler {
  // Connection: close: the rest of the body is never read, so the connection cannot carry another request.
  const tooLarge = (c: Context) =>
    c.json({ errors: [{ message: "request body too large" }] }, 413, { connection: "close" });
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === "GET") return next(); // GraphQL over HTTP's GET carries no body
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return streamed(c, next);
    if (!/^\d+$/u.test(length) || Number(length) > maxSize) return tooLarge(c);
    await next();
  };
}

/** How long readiness waits for the core database before calling the node unready. */
const READINESS_DB_TIMEOUT_MS = 2_000;

/**
 * The node's HTTP surface:
 *   /graphql  GraphQL over HTTP (GET for queries, POST for everything)
 *   /admin    GraphiQL AdminUI, only with ADMIN_UI=true
 *   /health   liveness: the process serves HTTP
 *   /ready    readiness: schema built, core database answers, not draining
 *   /metrics  Prometheus
 *   /cluster/v1/...  the signed node API, in cluster mode
 */
export function createApp(options: AppOptions): Hono {
  const app = new Hono();
  app.use(requestMetrics(options.metrics));
  if (options.corsAllowedOrigins.length > 0) {
    app.use("/graphql", cors({ origin: [...options.corsAllowedOrigins], credentials: true }));
  }

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", async (c) => {
    const problem = await readinessProblem(options);
    return problem === undefined
      ? c.json({ status: "ready" })
      : c.json({ status: "not ready", reason: problem }, 503);
  });
  app.get("/metrics", async (c) => {
    c.header("content-type", options.metrics.registry.contentType);
    return c.body(await options.metrics.registry.metrics());
  });
  if (options.nodeApi) app.route("/", options.nodeApi);
  if (options.adminUI) app.get("/admin", async (c) => c.html(await adminPage()));

  app.on(["GET", "POST"], "/graphql", graphqlBodyLimit(options.maxBodyBytes ?? 1024 * 1024), (c) =>
    options.graphql.fetch(c.req.raw),
  );

  app.notFound((c) =>
    c.json({ error: { code: "NOT_FOUND", message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((error, c) => {
    options.logger.error({ err: error, path: c.req.path }, "unhandled HTTP error");
    return c.json({ error: { code: "INTERNAL", message: "internal server error" } }, 500);
  });
  return app;
}

/**
 * The AdminUI page embeds GraphiQL's whole bundle (several MB): it is loaded on the first visit, not
 * at start, so a node nobody opens the AdminUI on does not carry it in memory.
 */
let adminPagePromise: Promise<string> | undefined;
function adminPage(): Promise<string> {
  adminPagePromise ??= import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) =>
    renderGraphiQL({ endpoint: "/graphql", title: "Hugr AdminUI" }),
  );
  return adminPagePromise;
}

async function readinessProblem(options: AppOptions): Promise<string | undefined> {
  const phase = options.readiness.phase();
  if (phase !== "ready") return phase;
  try {
    await withTimeout(options.db.ping(), READINESS_DB_TIMEOUT_MS);
    return undefined;
  } catch {
    return "core database does not answer";
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
