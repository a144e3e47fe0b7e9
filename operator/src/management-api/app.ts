import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { Logger } from "@hugr/common";
import {
  apiRoots,
  BadRequest,
  jsonError,
  managementRoutes,
  serveRoute,
  type ClusterOperations,
} from "@hugr/protocol";
import type { ManagementMetrics } from "./metrics.js";
import type { ClusterService } from "./service.js";

/**
 * Where a cluster's operations go: in Kubernetes mode, changes of custom resources
 * (resource-mirror); standalone, the coordination itself, which has no data source writes (its
 * nodes write the core database).
 */
export type ClusterOperationsTarget = Omit<ClusterOperations, "putDataSource" | "deleteDataSource"> &
  Partial<Pick<ClusterOperations, "putDataSource" | "deleteDataSource">>;

/** A cluster operation refused before it changed anything (or that did not finish in time). */
export class OperationRefused extends Error {
  constructor(
    readonly code: "CONFLICT" | "INVALID" | "NOT_FOUND" | "RECONCILE_TIMEOUT",
    message: string,
  ) {
    super(message);
  }
}

const REFUSAL_STATUS = { CONFLICT: 409, INVALID: 422, NOT_FOUND: 404, RECONCILE_TIMEOUT: 504 } as const;

/** One cluster as the management API serves it: its coordination and its signature check. */
export interface ClusterEndpoint {
  service: ClusterService;
  /** verifySignature() with this cluster's own secret: a node of one cluster cannot reach another. */
  verify: MiddlewareHandler;
  /** Where cluster operations go; default the coordination itself (standalone). */
  operations?: ClusterOperationsTarget;
}

/**
 * The clusters this management node serves. Standalone: one, with the id "". Kubernetes: one per
 * HugrCluster, with the id "<namespace>/<name>", while this replica leads.
 */
export interface ClusterDirectory {
  get(id: string): ClusterEndpoint | undefined;
  /** Why no cluster can be served right now (a standby replica), or undefined. */
  unavailable?(): string | undefined;
}

/** A probe's answer: ok, or the reason it is not. */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

export interface ManagementAppOptions {
  clusters: ClusterDirectory;
  /**
   * "single": the cluster "" under /v1 (standalone, as hugr's management node). "multi": each
   * cluster under /clusters/<namespace>/<name>/v1, the base URL its workers are given.
   */
  layout: "single" | "multi";
  logger: Logger;
  metrics: ManagementMetrics;
  /** Liveness and readiness beyond "the process serves HTTP"; default always ok. */
  probes?: { live: () => ProbeResult; ready: () => ProbeResult };
}

type ApiEnv = { Variables: { cluster: ClusterEndpoint } };

/**
 * Where a cluster's management API starts in the "multi" layout (Kubernetes mode). Its parameters
 * are named apart from the routes' own (`data-sources/:name`), which a nested route would shadow.
 */
const CLUSTER_PREFIX = "/clusters/:clusterNamespace/:clusterName";

/** The path of a cluster's management API in the "multi" layout: its workers' base URL ends in it. */
export function clusterPath(namespace: string, name: string): string {
  return CLUSTER_PREFIX.replace(":clusterNamespace", encodeURIComponent(namespace)).replace(
    ":clusterName",
    encodeURIComponent(name),
  );
}

const alwaysOk = (): ProbeResult => ({ ok: true });

/**
 * The management API (no GraphQL here: work nodes serve it). Everything under a cluster's /v1 is
 * signed with that cluster's secret; /health, /ready and /metrics are for probes and Prometheus.
 */
export function createManagementApp(options: ManagementAppOptions): Hono {
  const app = new Hono();
  const live = options.probes?.live ?? alwaysOk;
  const ready = options.probes?.ready ?? alwaysOk;

  app.get("/health", (c) => probeAnswer(c, live(), "ok"));
  app.get("/ready", (c) => probeAnswer(c, ready(), "ready"));
  app.get("/metrics", async (c) => {
    c.header("content-type", options.metrics.registry.contentType);
    return c.body(await options.metrics.registry.metrics());
  });

  const api = clusterApi(options);
  app.route(options.layout === "single" ? "/" : CLUSTER_PREFIX, api);

  app.notFound((c) => jsonError(c, 404, "NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => errorAnswer(error, c, options.logger));
  return app;
}

function probeAnswer(c: Context, result: ProbeResult, okStatus: string): Response {
  return result.ok
    ? c.json({ status: okStatus })
    : c.json({ status: "unavailable", reason: result.reason }, 503);
}

function errorAnswer(error: Error, c: Context, logger: Logger): Response {
  if (error instanceof BadRequest) return jsonError(c, 400, "BAD_REQUEST", error.message);
  if (error instanceof OperationRefused)
    return jsonError(c, REFUSAL_STATUS[error.code], error.code, error.message);
  logger.error({ err: error, path: c.req.path }, "management API error");
  return jsonError(c, 500, "INTERNAL", "internal error");
}

/** Finds the cluster of the request and checks its signature before any handler runs. */
function resolveCluster(options: ManagementAppOptions): MiddlewareHandler<ApiEnv> {
  return async function resolveClusterAndVerify(c, next) {
    const unavailable = options.clusters.unavailable?.();
    if (unavailable !== undefined) return jsonError(c, 503, "UNAVAILABLE", unavailable);
    const namespace = c.req.param("clusterNamespace");
    const name = c.req.param("clusterName");
    const id = namespace === undefined || name === undefined ? "" : `${namespace}/${name}`;
    const cluster = options.clusters.get(id);
    if (!cluster) return jsonError(c, 404, "CLUSTER_NOT_FOUND", `no cluster '${id}' is served here`);
    c.set("cluster", cluster);
    return cluster.verify(c, next);
  };
}

/** The routes of one cluster (managementRoutes), relative to its base URL. */
function clusterApi(options: ManagementAppOptions): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>();
  const routes = managementRoutes;
  const service = (c: Context<ApiEnv>): ClusterService => c.get("cluster").service;
  const operations = (c: Context<ApiEnv>): ClusterOperationsTarget =>
    c.get("cluster").operations ?? service(c);
  const unmanaged = (c: Context<ApiEnv>): Response =>
    jsonError(c, 404, "NOT_FOUND", "data sources are written to the core database directly in this cluster");
  const notRegistered = (c: Context<ApiEnv>, node: string): Response =>
    jsonError(c, 404, "NODE_NOT_REGISTERED", `node '${node}' is not registered`);

  api.use(`${apiRoots.management}/*`, resolveCluster(options));
  serveRoute(api, routes.register, async (c, { body }) => c.json(await service(c).register(body)));
  serveRoute(api, routes.nodes, (c) => c.json({ nodes: service(c).nodes() }));
  serveRoute(api, routes.heartbeat, async (c, { params, body }) => {
    const answer = await service(c).heartbeat(params.node, body);
    return answer ? c.json(answer) : notRegistered(c, params.node);
  });
  serveRoute(api, routes.deregister, async (c, { params }) =>
    (await service(c).deregister(params.node)) ? c.body(null, 204) : notRegistered(c, params.node),
  );

  serveRoute(api, routes.loadDataSource, async (c, { params }) =>
    c.json(await operations(c).loadDataSource(params.name)),
  );
  serveRoute(api, routes.unloadDataSource, async (c, { params }) =>
    c.json(await operations(c).unloadDataSource(params.name)),
  );
  serveRoute(api, routes.dataSourceStatus, async (c, { params }) =>
    c.json(await service(c).dataSourceStatus(params.name)),
  );
  serveRoute(api, routes.putDataSource, async (c, { body }) => {
    const put = operations(c).putDataSource;
    return put ? c.json(await put(body)) : unmanaged(c);
  });
  serveRoute(api, routes.deleteDataSource, async (c, { params }) => {
    const remove = operations(c).deleteDataSource;
    return remove ? c.json(await remove(params.name)) : unmanaged(c);
  });

  serveRoute(api, routes.storages, async (c) => c.json(await service(c).storages()));
  serveRoute(api, routes.registerStorage, async (c, { body }) =>
    c.json(await operations(c).registerStorage(body)),
  );
  serveRoute(api, routes.unregisterStorage, async (c, { params }) =>
    c.json(await operations(c).unregisterStorage(params.name)),
  );
  serveRoute(api, routes.invalidateCache, async (c, { body }) =>
    c.json(await service(c).invalidateCache(body)),
  );
  return api;
}
