import type { Logger } from "@hugr/common";
import type { CoreDb } from "@hugr/coredb";
import {
  createNodeClient,
  type AuthSettings,
  type ClusterOperationResult,
  type DataSourceStatusResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type NodeClient,
  type NodeInfo,
  type NodeOperationResult,
  type RegisterNodeRequest,
  type RegisterNodeResponse,
  type StorageSpec,
  type CacheInvalidation,
  type StoragesResponse,
} from "@hugr/protocol";
import type { ClusterOperationsTarget } from "./app.js";
import { createDesiredState, type DesiredState } from "./desired-state.js";
import { fanOut } from "./fanout.js";
import type { ManagementMetrics } from "./metrics.js";
import { createNodeRegistry, readyNodes, type NodeRegistry, type RegisteredNode } from "./registry.js";
import { createSealer } from "./sealing.js";

export interface ClusterServiceOptions {
  db: CoreDb;
  /** Cluster id: "" standalone; namespace/name of a HugrCluster in Kubernetes. */
  cluster: string;
  /** The cluster secret: signs every request to and from this cluster's nodes. */
  secret: string;
  /** TIMEOUT: per-node timeout of health checks and operations. */
  timeoutMs: number;
  /** CHECK: interval of health checks. */
  checkIntervalMs: number;
  /** NODE_REMOVE_AFTER: unreachable nodes are removed this long after they were last seen. */
  removeAfterMs: number;
  auth: AuthSettings;
  /** "kubernetes": custom resources own data sources and storages (NodeClusterConfig.managed). */
  managed?: "kubernetes";
  logger: Logger;
  metrics: ManagementMetrics;
  /**
   * Called after membership changed: a node registered, left, was removed, or its readiness changed.
   * The operator re-reconciles the HugrCluster then, so its status follows the registry.
   */
  onNodesChanged?: () => void;
}

/**
 * One cluster's coordination: membership (register, heartbeat, health checks, removal), the
 * desired state, and operations fanned out to every ready node.
 */
export interface ClusterService extends ClusterOperationsTarget {
  start(): Promise<void>;
  stop(): void;
  register(request: RegisterNodeRequest): Promise<RegisterNodeResponse>;
  /** undefined: the node is not registered (it must register again). */
  heartbeat(name: string, request: HeartbeatRequest): Promise<HeartbeatResponse | undefined>;
  deregister(name: string): Promise<boolean>;
  nodes(): NodeInfo[];
  dataSourceStatus(name: string): Promise<DataSourceStatusResponse>;
  storages(): Promise<StoragesResponse>;
  /** Relays a node's cache invalidation to every ready node (its sender ignores its own). */
  invalidateCache(message: CacheInvalidation): Promise<ClusterOperationResult>;
  /** One round of health checks (the timer runs it every CHECK). */
  checkHealth(): Promise<void>;
  /** Replaces the authentication settings; nodes receive them with their next heartbeat answer. */
  setAuth(auth: AuthSettings): void;
  /** The storage as the cluster's desired state holds it, credentials included (never sent out). */
  desiredStorage(name: string): StorageSpec | undefined;
}

/** Heartbeats come twice per CHECK, within these bounds. */
const HEARTBEAT_MIN_MS = 1_000;
const HEARTBEAT_MAX_MS = 15_000;
/** Added to TIMEOUT for the node's wait on an operation: the fan-out itself takes a little time. */
const OPERATION_MARGIN_MS = 5_000;

export function createClusterService(options: ClusterServiceOptions): ClusterService {
  const { db, cluster, logger, metrics } = options;
  const registry: NodeRegistry = createNodeRegistry(db, cluster);
  const desired: DesiredState = createDesiredState({
    db,
    cluster,
    auth: options.auth,
    ...(options.managed ? { managed: options.managed } : {}),
    sealer: createSealer(options.secret),
    logger,
  });
  const clients = new Map<string, NodeClient>();
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;

  const clientFor = (node: NodeInfo): NodeClient => {
    let client = clients.get(node.url);
    if (!client) {
      client = createNodeClient({ baseUrl: node.url, secret: options.secret, timeoutMs: options.timeoutMs });
      clients.set(node.url, client);
    }
    return client;
  };

  /** Membership changed: update the gauge and tell the owner (the operator's reconciler). */
  const nodesChanged = (): void => {
    const all = registry.list();
    const ready = readyNodes(all).length;
    metrics.nodes.set({ cluster, ready: "true" }, ready);
    metrics.nodes.set({ cluster, ready: "false" }, all.length - ready);
    options.onNodesChanged?.();
  };

  async function operate(
    operation: string,
    run: (client: NodeClient) => Promise<NodeOperationResult>,
    level: "info" | "debug" = "info",
  ): Promise<ClusterOperationResult> {
    const all = registry.list();
    const ready = readyNodes(all);
    const stop = metrics.fanOutDuration.startTimer({ cluster, operation });
    const result = await fanOut(ready, (node) => run(clientFor(node)), {
      action: operation,
      skipped: all.length - ready.length,
    });
    stop({ result: result.success ? "success" : "failure" });
    for (const failed of result.nodes.filter((n) => !n.success)) {
      metrics.fanOutNodeFailures.inc({ cluster, operation, node: failed.node });
    }
    logger[level](
      {
        operation,
        success: result.success,
        nodes: result.nodes.length,
        failed: result.nodes.filter((n) => !n.success).map((n) => n.node),
      },
      "cluster operation",
    );
    return result;
  }

  async function checkOne(node: RegisteredNode): Promise<void> {
    try {
      const health = await clientFor(node).health();
      await registry.recordHealth(node.name, { reachable: true, ready: health.ready, error: health.error });
      metrics.healthChecks.inc({ cluster, result: health.ready ? "ready" : "not_ready" });
    } catch (error) {
      const message = `health check failed: ${(error as Error).message}`;
      if (node.ready) logger.warn({ node: node.name, err: message }, "node is not ready");
      await registry.recordHealth(node.name, { reachable: false, ready: false, error: message });
      metrics.healthChecks.inc({ cluster, result: "unreachable" });
    }
  }

  async function removeExpired(): Promise<void> {
    const cutoff = Date.now() - options.removeAfterMs;
    for (const node of registry.list()) {
      if (!node.ready && Date.parse(node.lastSeen) < cutoff) {
        await registry.remove(node.name);
        clients.delete(node.url);
        metrics.removedNodes.inc({ cluster });
        logger.warn(
          { node: node.name, lastSeen: node.lastSeen },
          "node removed from the registry after the grace period",
        );
      }
    }
  }

  async function healthRound(): Promise<void> {
    const before = membership();
    await Promise.all(registry.list().map(checkOne));
    await removeExpired();
    if (membership() !== before) nodesChanged();
  }

  /** Who is registered and ready, as one comparable string. */
  const membership = (): string =>
    registry
      .list()
      .map((n) => `${n.name}=${n.ready}:${n.error}`)
      .join(",");

  return {
    async start() {
      await registry.load();
      await desired.load();
      nodesChanged();
      timer = setInterval(() => void this.checkHealth(), options.checkIntervalMs);
      timer.unref();
      logger.info({ cluster, nodes: registry.list().length }, "cluster registry loaded");
    },
    stop() {
      clearInterval(timer);
    },
    async register(request) {
      const { node, replaced } = await registry.register(request);
      metrics.registrations.inc({ cluster });
      if (replaced)
        logger.warn(
          { node: node.name, previousUrl: replaced.url, url: node.url },
          "node registration replaced an entry with another URL",
        );
      logger.info({ node: node.name, url: node.url, version: node.version }, "node registered");
      nodesChanged();
      return {
        node: publicInfo(node),
        config: desired.config(),
        heartbeatIntervalMs: Math.min(
          Math.max(options.checkIntervalMs / 2, HEARTBEAT_MIN_MS),
          HEARTBEAT_MAX_MS,
        ),
        operationTimeoutMs: options.timeoutMs + OPERATION_MARGIN_MS,
      };
    },
    async heartbeat(name, request) {
      const wasReady = registry.get(name)?.ready;
      const node = await registry.heartbeat(name, request);
      metrics.heartbeats.inc({ cluster, result: node ? "ok" : "unknown_node" });
      if (!node) return undefined;
      if (wasReady !== node.ready) {
        logger.info({ node: name, ready: node.ready, error: node.error }, "node readiness changed");
        nodesChanged();
      }
      const config = desired.config();
      return config.version === request.configVersion
        ? { node: publicInfo(node) }
        : { node: publicInfo(node), config };
    },
    async deregister(name) {
      const node = registry.get(name);
      const removed = await registry.remove(name);
      if (node) clients.delete(node.url);
      if (removed) logger.info({ node: name }, "node deregistered");
      nodesChanged();
      return removed;
    },
    nodes: () => registry.list().map(publicInfo),
    async loadDataSource(name) {
      await desired.setDataSource(name, true);
      return operate("load_data_source", (client) => client.loadDataSource(name));
    },
    async unloadDataSource(name) {
      await desired.setDataSource(name, false);
      return operate("unload_data_source", (client) => client.unloadDataSource(name));
    },
    async dataSourceStatus(name) {
      const nodes = await Promise.all(
        registry.list().map(async (node) => {
          try {
            return { node: node.name, ...(await clientFor(node).dataSourceStatus(name)) };
          } catch (error) {
            return { node: node.name, status: "error", error: (error as Error).message };
          }
        }),
      );
      return { nodes };
    },
    async storages() {
      const perNode = await Promise.all(
        readyNodes(registry.list()).map(async (node) => {
          try {
            const { storages } = await clientFor(node).storages();
            return storages.map((s) => ({ node: node.name, ...s }));
          } catch (error) {
            logger.warn(
              { node: node.name, err: (error as Error).message },
              "could not list a node's storages",
            );
            return [];
          }
        }),
      );
      return { storages: perNode.flat() };
    },
    async registerStorage(spec) {
      await desired.putStorage(spec);
      return operate("register_object_storage", (client) => client.registerStorage(spec));
    },
    async unregisterStorage(name) {
      await desired.removeStorage(name);
      return operate("unregister_object_storage", (client) => client.unregisterStorage(name));
    },
    // As frequent as the cluster's writes: logged at debug, counted in the fan-out metrics.
    invalidateCache: (message) =>
      operate("invalidate_cache", (client) => client.invalidateCache(message), "debug"),
    setAuth(auth) {
      desired.setAuth(auth);
    },
    desiredStorage: (name) => desired.config().storages.find((s) => s.name === name),
    checkHealth() {
      // Rounds never overlap: a slow round (many timeouts) delays the next one instead.
      checking ??= healthRound().finally(() => (checking = undefined));
      return checking;
    },
  };
}

function publicInfo(node: RegisteredNode): NodeInfo {
  return {
    name: node.name,
    url: node.url,
    version: node.version,
    ready: node.ready,
    lastSeen: node.lastSeen,
    error: node.error,
  };
}
