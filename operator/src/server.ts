import { buildAuthPolicy, listen, type Logger } from "@hugr/common";
import { openCoreDb, type CoreDb } from "@hugr/coredb";
import { verifySignature } from "@hugr/protocol";
import type { ManagementConfig } from "./config/index.js";
import {
  clusterStateDatabase,
  createClusterService,
  createManagementApp,
  createManagementMetrics,
  watchAuthFile,
  type AuthFileWatch,
  type ClusterService,
} from "./management-api/index.js";

export interface RunningManagement {
  /** Base URL of the management API, e.g. http://127.0.0.1:14000 */
  url: string;
  port: number;
  db: CoreDb;
  service: ClusterService;
  close(): Promise<void>;
}

/** How long open requests (fan-outs among them) get to finish on shutdown. */
const CLOSE_TIMEOUT_MS = 10_000;

/** Standalone cluster id: one cluster per management node. */
const STANDALONE_CLUSTER = "";

export interface StartManagementOptions {
  /** How often AUTH_CONFIG_FILE is polled for changes, default 2 s (tests poll faster). */
  authFilePollMs?: number;
}

/**
 * Starts a standalone management node: opens its core database (shared PostgreSQL or the embedded
 * one), loads the persisted registry and desired state, starts health checks and serves the API.
 * With AUTH_CONFIG_FILE set, an edit of the file reaches every node with its next heartbeat.
 */
export async function startManagement(
  config: ManagementConfig,
  logger: Logger,
  options: StartManagementOptions = {},
): Promise<RunningManagement> {
  if (config.coreDb.kind === "pglite" && !config.coreDb.dir.startsWith("memory://")) {
    logger.warn(
      { folder: config.coreDb.dir },
      "cluster state is in an embedded PGlite folder, which costs some 400 MB more than the DuckDB " +
        "default: stop the management node and remove the folder to move (work nodes register again; " +
        "load states and object storages registered through it must be registered again)",
    );
  }
  const stateDb = clusterStateDatabase(config.coreDb);
  if (stateDb !== config.coreDb) {
    logger.warn(
      {},
      "the core database is read-only: cluster state is kept in memory, nodes register again after a restart",
    );
  }
  const db = await openCoreDb(stateDb, { logger });
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
  for (const warning of buildAuthPolicy(config.auth).warnings ?? []) logger.warn(warning);
  const { authConfig } = config.auth;
  const authWatch: AuthFileWatch | undefined = authConfig
    ? watchAuthFile({
        settings: { ...config.auth, authConfig },
        apply: (auth) => service.setAuth(auth),
        logger,
        ...(options.authFilePollMs === undefined ? {} : { intervalMs: options.authFilePollMs }),
      })
    : undefined;
  const endpoint = { service, verify: verifySignature({ secret: config.secret }) };
  const app = createManagementApp({
    clusters: { get: (id) => (id === STANDALONE_CLUSTER ? endpoint : undefined) },
    layout: "single",
    logger,
    metrics,
  });
  const server = await listen(app.fetch, config.bind);
  logger.info(
    {
      address: server.address,
      coreDb: db.kind,
      timeoutMs: config.timeoutMs,
      checkIntervalMs: config.checkIntervalMs,
    },
    "management node ready",
  );
  return {
    url: server.url,
    port: server.port,
    db,
    service,
    async close() {
      authWatch?.stop();
      service.stop();
      await server.close(CLOSE_TIMEOUT_MS);
      await db.close();
      logger.info("management node stopped");
    },
  };
}
