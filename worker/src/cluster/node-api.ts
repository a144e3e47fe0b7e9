import { Hono, type Context } from "hono";
import {
  BadRequest,
  cacheInvalidation,
  dataSourceName,
  jsonError,
  nodePaths,
  storageName,
  storageSpec,
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
  api.use("/cluster/v1/*", verifySignature({ secret: options.secret }));
  // Malformed input is the caller's mistake, said with the field: never a 500.
  api.onError((error, c) => {
    if (error instanceof BadRequest) return jsonError(c, 400, "BAD_REQUEST", error.message);
    if (error instanceof SyntaxError) return jsonError(c, 400, "BAD_REQUEST", "body is not valid JSON");
    throw error;
  });
  const ds = (c: Context): string => dataSourceName(c.req.param("name") ?? "");

  api.get(nodePaths.health, (c) => {
    const phase = options.readiness.phase();
    return c.json({
      name: options.nodeName,
      version: options.version,
      ready: phase === "ready",
      error: phase === "ready" ? "" : `node is ${phase}`,
    });
  });
  api.post("/cluster/v1/data-sources/:name/load", async (c) =>
    c.json(await outcome(() => options.dataSources.load(ds(c)))),
  );
  api.post("/cluster/v1/data-sources/:name/unload", async (c) =>
    // Idempotent: a source this node does not know (deleted, or never inserted) is not loaded here.
    c.json(await outcome(() => options.dataSources.unload(ds(c)), ["DATA_SOURCE_NOT_FOUND"])),
  );
  api.get("/cluster/v1/data-sources/:name/status", async (c) => {
    const name = ds(c);
    try {
      const status = await options.dataSources.status(name);
      const answer: NodeDataSourceStatus = { status, error: options.dataSources.lastError(name) };
      return c.json(answer);
    } catch (error) {
      if (error instanceof DataSourceError) return c.json({ status: "error", error: error.message });
      throw error;
    }
  });
  api.get(nodePaths.storages, (c) => c.json({ storages: options.storages.infos() }));
  api.put("/cluster/v1/storages/:name", async (c) => {
    options.storages.put(storageSpec(await c.req.json(), storageName(c.req.param("name") ?? "")));
    return c.json(ok());
  });
  api.post(nodePaths.cacheInvalidations, async (c) => {
    options.cache.onRemoteInvalidation(cacheInvalidation(await c.req.json()));
    return c.json(ok());
  });
  api.delete("/cluster/v1/storages/:name", (c) => {
    // Unregistering a storage this node does not have is a success: the operation is idempotent.
    options.storages.remove(storageName(c.req.param("name") ?? ""));
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
