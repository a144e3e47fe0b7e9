import { Hono } from "hono";
import {
  apiRoots,
  BadRequest,
  jsonError,
  nodeRoutes,
  serveRoute,
  verifySignature,
  type CacheInvalidation,
  type NodeDataSourceStatus,
  type NodeOperationResult,
} from "@hugr/protocol";
import { DataSourceError, type DataSourceErrorCode } from "../data-sources/index.js";
import type { Readiness } from "../http/index.js";
import type { ClusterTargets } from "./apply.js";

export interface NodeApiOptions extends ClusterTargets {
  nodeName: string;
  version: string;
  secret: string;
  readiness: Readiness;
  /** The node's cache, told of invalidations made on other nodes (relayed by the management node). */
  cache: { onRemoteInvalidation(message: CacheInvalidation): void };
}

/**
 * The node API the management node calls (health checks and fanned-out operations). Every route
 * is signed with the cluster secret; a request without a valid signature gets 401 and does nothing.
 */
export function createNodeApi(options: NodeApiOptions): Hono {
  const api = new Hono();
  const routes = nodeRoutes;
  api.use(`${apiRoots.node}/*`, verifySignature({ secret: options.secret }));
  // Malformed input is the caller's mistake, said with the field: never a 500.
  api.onError((error, c) => {
    if (error instanceof BadRequest) return jsonError(c, 400, "BAD_REQUEST", error.message);
    throw error;
  });

  serveRoute(api, routes.health, (c) => {
    const phase = options.readiness.phase();
    return c.json({
      name: options.nodeName,
      version: options.version,
      ready: phase === "ready",
      error: phase === "ready" ? "" : `node is ${phase}`,
    });
  });
  serveRoute(api, routes.loadDataSource, async (c, { params }) =>
    c.json(await outcome(() => options.dataSources.load(params.name))),
  );
  serveRoute(api, routes.unloadDataSource, async (c, { params }) =>
    // Idempotent: a source this node does not know (deleted, or never inserted) is not loaded here.
    c.json(await outcome(() => options.dataSources.unload(params.name), ["DATA_SOURCE_NOT_FOUND"])),
  );
  serveRoute(api, routes.dataSourceStatus, async (c, { params }) => {
    try {
      const status = await options.dataSources.status(params.name);
      const answer: NodeDataSourceStatus = { status, error: options.dataSources.lastError(params.name) };
      return c.json(answer);
    } catch (error) {
      if (error instanceof DataSourceError) return c.json({ status: "error", error: error.message });
      throw error;
    }
  });
  serveRoute(api, routes.storages, (c) => c.json({ storages: options.storages.infos() }));
  serveRoute(api, routes.registerStorage, (c, { body }) => {
    options.storages.put(body);
    return c.json(ok());
  });
  serveRoute(api, routes.unregisterStorage, (c, { params }) => {
    // Unregistering a storage this node does not have is a success: the operation is idempotent.
    options.storages.remove(params.name);
    return c.json(ok());
  });
  serveRoute(api, routes.invalidateCache, (c, { body }) => {
    options.cache.onRemoteInvalidation(body);
    return c.json(ok());
  });
  return api;
}

function ok(): NodeOperationResult {
  return { success: true, error: "" };
}

/** An expected failure (unknown, disabled or broken source) is the node's answer, not a transport error. */
async function outcome(
  run: () => Promise<void>,
  alreadyDone: readonly DataSourceErrorCode[] = [],
): Promise<NodeOperationResult> {
  try {
    await run();
    return ok();
  } catch (error) {
    if (!(error instanceof DataSourceError)) throw error;
    return alreadyDone.includes(error.code) ? ok() : { success: false, error: error.message };
  }
}
