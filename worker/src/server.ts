import { buildAuthPolicy, listen, type AuthPolicy, type Logger } from "@hugr/common";
import { openCoreDb, withReadCache, type CoreDb } from "@hugr/coredb";
import {
  clusterDataSourceWriter,
  createClusterAgent,
  createClusterMode,
  createManagementClients,
  createNodeApi,
  type ClusterAgent,
} from "./cluster/index.js";
import { createHash } from "node:crypto";
import { createAuthStore, createRequestAuthenticator } from "./auth/index.js";
import { createCache, createCacheMetrics, type Cache, type CreateCacheOptions } from "./cache/index.js";
import type { WorkerConfig } from "./config/index.js";
import {
  createDataSourceRuntime,
  createDirectWriter,
  createSourceLoader,
  type DataSourceLoader,
  type DataSourceRuntime,
  type DataSourceWriter,
} from "./data-sources/index.js";
import { createCoreEngine } from "./core-module/index.js";
import { buildSchema, createGraphQLHandler } from "./graphql/index.js";
import { createApp, createReadiness, type Readiness } from "./http/index.js";
import { createMetrics } from "./observability/index.js";
import { createRequestTransactions } from "./engine/index.js";
import { sourceTag } from "./engine/caching/results.js";
import { createServedSchema, type ServedSchema } from "./served-schema/index.js";
import { createStorageRegistry, type StorageRegistry } from "./storages/index.js";
import { WORKER_VERSION } from "./version.js";

export interface RunningWorker {
  /** Base URL the node listens on, e.g. http://127.0.0.1:15000 */
  url: string;
  port: number;
  db: CoreDb;
  dataSources: DataSourceRuntime;
  /** The node's GraphQL schema: core module and loaded data sources. */
  sources: ServedSchema;
  storages: StorageRegistry;
  readiness: Readiness;
  /** In cluster mode: resolves once registered and converged (ready), or when the node stops first. */
  converged: Promise<void>;
  /**
   * Stops: not ready at once, deregisters (cluster mode), stops accepting connections, lets
   * in-flight requests finish (up to `drainTimeoutMs`), closes the core database.
   */
  close(drainTimeoutMs?: number): Promise<void>;
}

export interface StartWorkerOptions {
  logger: Logger;
}

/**
 * Core table reads (the data source listing) are reused for at most this long; writes through any
 * node invalidate them at once (NOTIFY), so the TTL only bounds staleness after direct SQL changes.
 */
const CORE_READ_CACHE_TTL_MS = 1_000;
const CORE_READ_CACHE_ENTRIES = 1_000;

/** Default time in-flight requests get to finish on shutdown. */
const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

/**
 * Starts a work node: core database (migrated), GraphQL and HTTP served. A single node loads its
 * data sources before it listens; a cluster node listens first (the management node must reach
 * it), then registers, converges to the cluster configuration, and only then reports ready.
 */
export async function startWorker(config: WorkerConfig, options: StartWorkerOptions): Promise<RunningWorker> {
  const { logger } = options;
  warnAboutPglite(config, logger);
  const db = withReadCache(await openCoreDb(config.coreDb, { logger }), {
    ttlMs: CORE_READ_CACHE_TTL_MS,
    maxEntries: CORE_READ_CACHE_ENTRIES,
    logger,
  });
  await db
    .startListening()
    .catch((error: unknown) =>
      logger.warn(
        { err: error },
        "cannot listen for core database changes: cached reads expire after their TTL only",
      ),
    );
  const storages = createStorageRegistry({
    cacheDir: config.storageCache.dir,
    maxCacheBytes: config.storageCache.maxSizeMB * 1024 * 1024,
    logger,
  });
  const core = buildSchema({ cluster: config.cluster !== undefined });
  const sources = createServedSchema(core, logger);
  const readiness = createReadiness();
  const metrics = createMetrics();
  const clients = config.cluster ? createManagementClients(config.cluster) : undefined;
  const cache = createCache(config.cache, {
    logger,
    clusterPrefix: cachePrefix(config),
    metrics: createCacheMetrics(metrics.registry),
    ...relayedInvalidations(config, clients, logger),
  });
  const loader = invalidatingSourceResults(
    createSourceLoader({
      registry: sources,
      core,
      objectStore: storages,
      settings: config.dataSources,
      logger,
    }),
    cache,
  );
  const dataSources = createDataSourceRuntime({ db, logger, loader });
  const mode = createClusterMode();
  const management = clients?.operations;
  const dataSourceWriter: () => DataSourceWriter = management
    ? clusterDataSourceWriter({ mode, db, runtime: dataSources, management, logger })
    : constant(createDirectWriter({ db, runtime: dataSources, management, logger }));
  const auth = createRequestAuthenticator({
    policy: initialPolicy(config, logger),
    store: createAuthStore(db, cache),
    logger,
  });
  const shared = { db, coreEngine: createCoreEngine(db), dataSources, storages, management, logger };
  const graphql = createGraphQLHandler({
    authenticate: (request) => auth.authenticate(request),
    cache,
    context: ({ identity, permissions, access }, requestCache) => ({
      ...shared,
      identity,
      permissions,
      ...(access ? { access } : {}),
      ...(requestCache ? { cache: requestCache } : {}),
      dataSourceWriter: dataSourceWriter(),
      sourceTransactions: createRequestTransactions(),
    }),
    logger,
    metrics,
    schemas: sources,
  });
  const nodeApi = config.cluster
    ? createNodeApi({
        nodeName: config.cluster.nodeName,
        version: WORKER_VERSION,
        secret: config.cluster.secret,
        readiness,
        dataSources,
        storages,
        cache,
      })
    : undefined;
  const app = createApp({
    graphql,
    db,
    readiness,
    metrics,
    logger,
    adminUI: config.adminUI,
    corsAllowedOrigins: config.corsAllowedOrigins,
    ...(nodeApi ? { nodeApi } : {}),
  });
  if (!config.cluster) await dataSources.loadAllEnabled();

  const server = await listen(app.fetch, config.bind);
  let agent: ClusterAgent | undefined;
  let appliedSettings: string | undefined;
  let converged = Promise.resolve();
  if (config.cluster && clients) {
    agent = createClusterAgent({
      config: config.cluster,
      version: WORKER_VERSION,
      management: clients,
      targets: { dataSources, storages },
      mode,
      readiness,
      logger,
      metrics,
      onAuthSettings: (settings) => {
        // Sent with every configuration change (a data source loaded too): apply only a change.
        const received = JSON.stringify(settings);
        if (received === appliedSettings) return;
        // The management node checked them too; a node of another version may still refuse them.
        let policy: AuthPolicy;
        try {
          policy = buildAuthPolicy(settings);
        } catch (error) {
          logger.error(
            { err: error },
            "authentication settings from the management node refused: keeping the previous ones",
          );
          return;
        }
        auth.setPolicy(policy);
        appliedSettings = received;
        logger.info(describePolicy(policy), "authentication settings from the management node applied");
        for (const warning of policy.warnings ?? []) logger.warn(warning);
      },
    });
    converged = agent.start();
    converged.catch((error: unknown) => logger.error({ err: error }, "cluster membership failed"));
  } else {
    readiness.set("ready");
  }
  logger.info(
    {
      address: server.address,
      coreDb: db.kind,
      readOnly: db.readOnly,
      cluster: agent !== undefined,
      version: WORKER_VERSION,
    },
    agent ? "work node listening; registering with the management node" : "work node ready",
  );

  return {
    url: server.url,
    port: server.port,
    db,
    dataSources,
    sources,
    storages,
    readiness,
    converged,
    async close(drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) {
      readiness.set("draining");
      await agent?.stop();
      await server.close(drainTimeoutMs, () =>
        logger.warn({ drainTimeoutMs }, "drain timeout: closing remaining connections"),
      );
      await sources.close();
      auth.close();
      await cache.close();
      await db.close();
      logger.info("work node stopped");
    },
  };
}

/**
 * A single node enforces its own settings. A cluster node enforces the management node's, which
 * arrive at registration: until then it answers 503 (see createRequestAuthenticator), never serving
 * a request as admin, and its own settings are not used.
 */
function initialPolicy(config: WorkerConfig, logger: Logger): AuthPolicy | undefined {
  if (config.cluster) {
    if (!buildAuthPolicy(config.auth).open) {
      logger.warn(
        "this node's own authentication settings are ignored in cluster mode: it enforces those the management node sends",
      );
    }
    return undefined;
  }
  const policy = buildAuthPolicy(config.auth);
  logger.info(describePolicy(policy), "authentication enforced");
  for (const warning of policy.warnings ?? []) logger.warn(warning);
  return policy;
}

/** The policy's shape for logs: which providers, never a credential. */
function describePolicy(policy: AuthPolicy): Record<string, unknown> {
  return {
    anonymous: policy.anonymous.allowed ? policy.anonymous.role : false,
    secretKey: policy.secretKey !== undefined,
    managedApiKeys: policy.managedApiKeys,
    apiKeys: policy.apiKeys.map((key) => key.name),
    jwt: policy.jwt.map((provider) => provider.name),
    oidc: policy.oidc?.issuer ?? false,
  };
}

/**
 * Where the node's cache entries live in a shared L2: one namespace per cluster (its management
 * node's URL, which in Kubernetes names the HugrCluster), "standalone" for a single node.
 */
function cachePrefix(config: WorkerConfig): string {
  if (!config.cluster) return "standalone";
  return createHash("sha256").update(config.cluster.managementUrl).digest("hex").slice(0, 16);
}

/**
 * Without Redis (whose pub/sub carries them) a cluster node's cache invalidations reach the other
 * nodes through the management node, which relays them to every ready node. Best effort: a relay
 * that fails leaves the other nodes' L1 entries until their TTL, which the warning says.
 */
function relayedInvalidations(
  config: WorkerConfig,
  clients: ReturnType<typeof createManagementClients> | undefined,
  logger: Logger,
): Pick<CreateCacheOptions, "broadcast"> {
  const { l1, l2 } = config.cache;
  if (!clients || !l1.enabled || (l2.enabled && l2.backend === "redis")) return {};
  return {
    broadcast: async (message) => {
      const result = await clients.operations.invalidateCache(message).catch((error: unknown) => {
        logger.warn(
          { err: error },
          "cache invalidation not relayed: other nodes keep their entries until their TTL",
        );
        return undefined;
      });
      const failed = result?.nodes.filter((node) => !node.success).map((node) => node.node) ?? [];
      if (failed.length > 0) logger.warn({ nodes: failed }, "cache invalidation not applied on some nodes");
    },
  };
}

/** A data source loaded again or unloaded drops every cached result read from it, on every node. */
function invalidatingSourceResults(loader: DataSourceLoader, cache: Cache): DataSourceLoader {
  return {
    async load(source) {
      await loader.load(source);
      await cache.invalidateTags([sourceTag(source.name)]);
    },
    async unload(name) {
      await loader.unload(name);
      await cache.invalidateTags([sourceTag(name)]);
    },
  };
}

/** PGlite still works, for a folder given or kept from an earlier version, but costs memory. */
function warnAboutPglite(config: WorkerConfig, logger: Logger): void {
  const { coreDb } = config;
  if (coreDb.kind !== "pglite" || coreDb.dir.startsWith("memory://")) return;
  logger.warn(
    { folder: coreDb.dir },
    "the core database is an embedded PGlite folder, which costs some 400 MB more than the DuckDB " +
      "default: to move, stop the node, run `hugr-worker core-db export --to <file.duckdb>` with this " +
      "CORE_DB_PATH (unset: <HUGR_DATA_DIR>/core.duckdb), then start with that file and remove the folder",
  );
}

function constant<T>(value: T): () => T {
  return () => value;
}
