import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { WorkerConfig } from "./config/index.js";
import { openCoreDb, type CoreDb } from "@hugr/coredb";
import {
  createDataSourceRuntime,
  type DataSourceLoader,
  type DataSourceRuntime,
} from "./datasources/index.js";
import { createGraphQLHandler } from "./graphql/index.js";
import { createApp, createReadiness, type Readiness } from "./http/index.js";
import type { Logger } from "./observability/logger.js";
import { createMetrics } from "./observability/metrics.js";

export interface RunningWorker {
  /** Base URL the node listens on, e.g. http://127.0.0.1:15000 */
  url: string;
  port: number;
  db: CoreDb;
  dataSources: DataSourceRuntime;
  readiness: Readiness;
  /** Stops accepting connections, lets in-flight requests finish (up to `drainTimeoutMs`), closes the core DB. */
  close(drainTimeoutMs?: number): Promise<void>;
}

export interface StartWorkerOptions {
  logger: Logger;
  loader?: DataSourceLoader;
}

/** Default time in-flight requests get to finish on shutdown. */
const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

/**
 * Starts a work node: core database (migrated), data sources loaded, GraphQL and HTTP served.
 * It reports ready only once all of that is done.
 */
export async function startWorker(config: WorkerConfig, options: StartWorkerOptions): Promise<RunningWorker> {
  const { logger } = options;
  warnAboutUnenforcedAuth(config, logger);
  const db = await openCoreDb(config.coreDb, { logger });
  const dataSources = createDataSourceRuntime({
    db,
    logger,
    ...(options.loader ? { loader: options.loader } : {}),
  });
  const readiness = createReadiness();
  const metrics = createMetrics();
  const graphql = createGraphQLHandler({ context: { db, dataSources }, logger, metrics });
  const app = createApp({
    graphql,
    db,
    readiness,
    metrics,
    logger,
    adminUI: config.adminUI,
    corsAllowedOrigins: config.corsAllowedOrigins,
  });
  await dataSources.loadAllEnabled();

  const server = serve({ fetch: app.fetch, port: config.bind.port, hostname: config.bind.host || undefined });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  readiness.set("ready");
  logger.info(
    { address: `${host}:${address.port}`, coreDb: db.kind, readOnly: db.readOnly },
    "work node ready",
  );

  return {
    url: `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`,
    port: address.port,
    db,
    dataSources,
    readiness,
    async close(drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) {
      readiness.set("draining");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const timer = setTimeout(() => {
        logger.warn({ drainTimeoutMs }, "drain timeout: closing remaining connections");
        if ("closeAllConnections" in server) server.closeAllConnections();
      }, drainTimeoutMs);
      await closed;
      clearTimeout(timer);
      await db.close();
      logger.info("work node stopped");
    },
  };
}

/**
 * Authentication settings are parsed and validated, but requests are not authenticated yet: say so
 * loudly rather than let an operator believe ALLOWED_ANONYMOUS=false protects the node.
 */
function warnAboutUnenforcedAuth(config: WorkerConfig, logger: Logger): void {
  const { auth } = config;
  if (!auth.allowedAnonymous || auth.secretKey !== undefined || auth.oidc.issuer !== undefined) {
    logger.warn(
      "authentication settings are validated but not enforced by this version: every request is served; " +
        "keep the node on a private network",
    );
  }
}
