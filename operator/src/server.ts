import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Logger } from "@hugr/common";
import { openCoreDb, type CoreDb } from "@hugr/coredb";
import type { ManagementConfig } from "./config/index.js";
import {
  createClusterService,
  createManagementApp,
  createManagementMetrics,
  type ClusterService,
} from "./management/index.js";

export interface RunningManagement {
  /** Base URL of the management API, e.g. http://127.0.0.1:14000 */
  url: string;
  port: number;
  db: CoreDb;
  service: ClusterService;
  close(): Promise<void>;
}

/** Standalone cluster id: one cluster per management node. */
const STANDALONE_CLUSTER = "";

/**
 * Starts a standalone management node: opens its core database (shared PostgreSQL or the embedded
 * one), loads the persisted registry and desired state, starts health checks and serves the API.
 */
export async function startManagement(config: ManagementConfig, logger: Logger): Promise<RunningManagement> {
  const db = await openCoreDb(config.coreDb, { logger });
  const metrics = createManagementMetrics();
  const service = createClusterService({
    db,
    cluster: STANDALONE_CLUSTER,
    secret: config.secret,
    timeoutMs: config.timeoutMs,
    checkIntervalMs: config.checkIntervalMs,
    removeAfterMs: config.removeAfterMs,
    auth: config.auth,
    logger,
    metrics,
  });
  await service.start();
  const app = createManagementApp({ service, secret: config.secret, logger, metrics });
  const server = serve({ fetch: app.fetch, port: config.bind.port, hostname: config.bind.host || undefined });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const local = host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host;
  logger.info(
    {
      address: `${host}:${address.port}`,
      coreDb: db.kind,
      timeoutMs: config.timeoutMs,
      checkIntervalMs: config.checkIntervalMs,
    },
    "management node ready",
  );
  return {
    url: `http://${local}:${address.port}`,
    port: address.port,
    db,
    service,
    async close() {
      service.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
      logger.info("management node stopped");
    },
  };
}
