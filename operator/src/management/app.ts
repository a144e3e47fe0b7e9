import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { Logger } from "@hugr/common";
import {
  BadRequest,
  cacheInvalidation,
  dataSourceDefinition,
  dataSourceName,
  heartbeatRequest,
  jsonError,
  managementPaths,
  nodeName,
  registerRequest,
  storageName,
  storageSpec,
  type ClusterOperationResult,
  type DataSourceDefinition,
  type StorageSpec,
} from "@hugr/protocol";
import type { ManagementMetrics } from "./metrics.js";
import type { ClusterService } from "./service.js";

/**
 * The cluster operations that change what a managed cluster serves. In Kubernetes mode they become
 * changes of custom resources (controllers/mirror); standalone, the coordination does them itself.
 */
export interface ClusterOperations {
  loadDataSource(name: string): Promise<ClusterOperationResult>;
  unloadDataSource(name: string): Promise<ClusterOperationResult>;
  registerStorage(spec: StorageSpec): Promise<ClusterOperationResult>;
  unregisterStorage(name: string): Promise<ClusterOperationResult>;
  /** Managed clusters only. */
  putDataSource?: (definition: DataSourceDefinition) => Promise<ClusterOperationResult>;
  deleteDataSource?: (name: string) => Promise<ClusterOperationResult>;
}

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
  operations?: ClusterOperations;
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
  if (options.layout === "single") app.route("/v1", api);
  else app.route("/clusters/:namespace/:name/v1", api);

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
  if (error instanceof SyntaxError) return jsonError(c, 400, "BAD_REQUEST", "body is not valid JSON");
  logger.error({ err: error, path: c.req.path }, "management API error");
  return jsonError(c, 500, "INTERNAL", "internal error");
}

/** Finds the cluster of the request and checks its signature before any handler runs. */
function resolveCluster(options: ManagementAppOptions): MiddlewareHandler<ApiEnv> {
  return async function resolveClusterAndVerify(c, next) {
    const unavailable = options.clusters.unavailable?.();
    if (unavailable !== undefined) return jsonError(c, 503, "UNAVAILABLE", unavailable);
    const namespace = c.req.param("namespace");
    const name = c.req.param("name");
    const id = namespace === undefined || name === undefined ? "" : `${namespace}/${name}`;
    const cluster = options.clusters.get(id);
    if (!cluster) return jsonError(c, 404, "CLUSTER_NOT_FOUND", `no cluster '${id}' is served here`);
    c.set("cluster", cluster);
    return cluster.verify(c, next);
  };
}

/** The routes of one cluster, relative to its /v1. */
function clusterApi(options: ManagementAppOptions): Hono<ApiEnv> {
  const api = new Hono<ApiEnv>();
  const service = (c: Context<ApiEnv>): ClusterService => c.get("cluster").service;
  const operations = (c: Context<ApiEnv>): ClusterOperations => c.get("cluster").operations ?? service(c);
  const unmanaged = (c: Context<ApiEnv>): Response =>
    jsonError(c, 404, "NOT_FOUND", "data sources are written to the core database directly in this cluster");
  const notRegistered = (c: Context<ApiEnv>): Response =>
    jsonError(c, 404, "NODE_NOT_REGISTERED", `node '${c.req.param("node")}' is not registered`);
  const relative = (path: string): string => path.slice("/v1".length);
  // The names in paths, checked by the contract before anything uses them (400 naming the rule).
  const node = (c: Context<ApiEnv>): string => nodeName(c.req.param("node") ?? "", "the node name");
  const ds = (c: Context<ApiEnv>): string => dataSourceName(c.req.param("ds") ?? "");
  const storage = (c: Context<ApiEnv>): string => storageName(c.req.param("storage") ?? "");

  api.use("*", resolveCluster(options));
  api.post(relative(managementPaths.nodes), async (c) =>
    c.json(await service(c).register(registerRequest(await c.req.json()))),
  );
  api.post("/nodes/:node/heartbeat", async (c) => {
    const answer = await service(c).heartbeat(node(c), heartbeatRequest(await c.req.json()));
    return answer ? c.json(answer) : notRegistered(c);
  });
  api.delete("/nodes/:node", async (c) =>
    (await service(c).deregister(node(c))) ? c.body(null, 204) : notRegistered(c),
  );
  api.get(relative(managementPaths.nodes), (c) => c.json({ nodes: service(c).nodes() }));

  api.post("/data-sources/:ds/load", async (c) => c.json(await operations(c).loadDataSource(ds(c))));
  api.post("/data-sources/:ds/unload", async (c) => c.json(await operations(c).unloadDataSource(ds(c))));
  api.put("/data-sources/:ds", async (c) => {
    const put = operations(c).putDataSource;
    if (!put) return unmanaged(c);
    return c.json(await put(dataSourceDefinition(await c.req.json(), ds(c))));
  });
  api.delete("/data-sources/:ds", async (c) => {
    const remove = operations(c).deleteDataSource;
    return remove ? c.json(await remove(ds(c))) : unmanaged(c);
  });
  api.get("/data-sources/:ds/status", async (c) => c.json(await service(c).dataSourceStatus(ds(c))));

  api.get(relative(managementPaths.storages), async (c) => c.json(await service(c).storages()));
  api.put("/storages/:storage", async (c) => {
    const spec = storageSpec(await c.req.json(), storage(c));
    return c.json(await operations(c).registerStorage(spec));
  });
  api.delete("/storages/:storage", async (c) => c.json(await operations(c).unregisterStorage(storage(c))));
  api.post(relative(managementPaths.cacheInvalidations), async (c) =>
    c.json(await service(c).invalidateCache(cacheInvalidation(await c.req.json()))),
  );
  return api;
}
