import { Hono, type Context } from "hono";
import type { Logger } from "@hugr/common";
import { jsonError, managementPaths, verifySignature, type ReplayCache } from "@hugr/protocol";
import type { ManagementMetrics } from "./metrics.js";
import type { ClusterService } from "./service.js";
import { BadRequest, heartbeatRequest, registerRequest, storageSpec } from "./validate.js";

export interface ManagementAppOptions {
  service: ClusterService;
  secret: string;
  logger: Logger;
  metrics: ManagementMetrics;
  replayCache?: ReplayCache;
}

/**
 * The management API (no GraphQL here: work nodes serve it). Everything under /v1 is signed with
 * the cluster secret; /health, /ready and /metrics are for probes and Prometheus.
 */
export function createManagementApp(options: ManagementAppOptions): Hono {
  const { service } = options;
  const app = new Hono();

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", (c) => c.json({ status: "ready" }));
  app.get("/metrics", async (c) => {
    c.header("content-type", options.metrics.registry.contentType);
    return c.body(await options.metrics.registry.metrics());
  });

  app.use(
    "/v1/*",
    verifySignature({
      secret: options.secret,
      ...(options.replayCache ? { replayCache: options.replayCache } : {}),
    }),
  );

  app.post(managementPaths.nodes, async (c) =>
    c.json(await service.register(registerRequest(await c.req.json()))),
  );
  app.post("/v1/nodes/:name/heartbeat", async (c) => {
    const answer = await service.heartbeat(c.req.param("name"), heartbeatRequest(await c.req.json()));
    if (!answer)
      return jsonError(c, 404, "NODE_NOT_REGISTERED", `node '${c.req.param("name")}' is not registered`);
    return c.json(answer);
  });
  app.delete("/v1/nodes/:name", async (c) => {
    if (!(await service.deregister(c.req.param("name")))) {
      return jsonError(c, 404, "NODE_NOT_REGISTERED", `node '${c.req.param("name")}' is not registered`);
    }
    return c.body(null, 204);
  });
  app.get(managementPaths.nodes, (c) => c.json({ nodes: service.nodes() }));

  app.post("/v1/data-sources/:name/load", async (c) =>
    c.json(await service.loadDataSource(c.req.param("name"))),
  );
  app.post("/v1/data-sources/:name/unload", async (c) =>
    c.json(await service.unloadDataSource(c.req.param("name"))),
  );
  app.get("/v1/data-sources/:name/status", async (c) =>
    c.json(await service.dataSourceStatus(c.req.param("name"))),
  );

  app.get(managementPaths.storages, async (c) => c.json(await service.storages()));
  app.put("/v1/storages/:name", async (c) => {
    const spec = storageSpec(await c.req.json(), c.req.param("name"));
    return c.json(await service.registerStorage(spec));
  });
  app.delete("/v1/storages/:name", async (c) => c.json(await service.unregisterStorage(c.req.param("name"))));

  app.notFound((c) => jsonError(c, 404, "NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c: Context) => {
    if (error instanceof BadRequest) return jsonError(c, 400, "BAD_REQUEST", error.message);
    if (error instanceof SyntaxError) return jsonError(c, 400, "BAD_REQUEST", "body is not valid JSON");
    options.logger.error({ err: error, path: c.req.path }, "management API error");
    return jsonError(c, 500, "INTERNAL", "internal error");
  });
  return app;
}
