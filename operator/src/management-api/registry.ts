import { readOnlyError, type CoreDb } from "@hugr/coredb";
import type { HeartbeatRequest, NodeInfo, RegisterNodeRequest } from "@hugr/protocol";

/** A registered node, with what only the management node tracks. */
export interface RegisteredNode extends NodeInfo {
  registeredAt: string;
  /** Version of the cluster configuration the node last reported applying; "" until it does. */
  configVersion: string;
}

export interface RegistrationOutcome {
  node: RegisteredNode;
  /** The entry this registration replaced: same name, other URL (a restarted pod, a moved node). */
  replaced: RegisteredNode | undefined;
}

/**
 * The cluster's node registry. Reads are served from memory; every change is written through to
 * the core database first, so a restarted management node finds every node again (and never fans
 * out to an empty list believing the cluster is empty).
 */
export interface NodeRegistry {
  /** Reads the persisted registry; call once at start. */
  load(): Promise<void>;
  list(): RegisteredNode[];
  get(name: string): RegisteredNode | undefined;
  /** Registers or re-registers a node. It is not ready until it reports having converged. */
  register(request: RegisterNodeRequest): Promise<RegistrationOutcome>;
  /** Records a heartbeat; undefined when the node is unknown (it must register again). */
  heartbeat(name: string, request: HeartbeatRequest): Promise<RegisteredNode | undefined>;
  /** Records a health check: reachable nodes are seen now; unreachable ones keep their last_seen. */
  recordHealth(name: string, health: { reachable: boolean; ready: boolean; error: string }): Promise<void>;
  remove(name: string): Promise<boolean>;
}

/**
 * The nodes that count: cluster operations go to them, and a resource is served when they all
 * serve it. The one definition of "ready", for the coordination and the reconcilers alike.
 */
export function readyNodes<Node extends NodeInfo>(nodes: readonly Node[]): Node[] {
  return nodes.filter((node) => node.ready);
}

/** The names of readyNodes(nodes). */
export function readyNodeNames(nodes: readonly NodeInfo[]): Set<string> {
  return new Set(readyNodes(nodes).map((node) => node.name));
}

interface NodeRow {
  name: string;
  url: string;
  version: string;
  ready: boolean;
  error: string;
  registered_at: Date | string;
  last_seen: Date | string;
}

export function createNodeRegistry(db: CoreDb, cluster: string): NodeRegistry {
  const nodes = new Map<string, RegisteredNode>();

  async function save(node: RegisteredNode): Promise<void> {
    nodes.set(node.name, node);
    await db.query(
      `INSERT INTO cluster_nodes (cluster, name, url, version, ready, error, registered_at, last_seen)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (cluster, name) DO UPDATE SET url = EXCLUDED.url, version = EXCLUDED.version,
         ready = EXCLUDED.ready, error = EXCLUDED.error, registered_at = EXCLUDED.registered_at,
         last_seen = EXCLUDED.last_seen`,
      [cluster, node.name, node.url, node.version, node.ready, node.error, node.registeredAt, node.lastSeen],
    );
  }

  return {
    async load() {
      const rows = await db.query<NodeRow>(
        "SELECT name, url, version, ready, error, registered_at, last_seen FROM cluster_nodes WHERE cluster = $1",
        [cluster],
      );
      nodes.clear();
      for (const row of rows) nodes.set(row.name, fromRow(row));
    },
    list: () => [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    get: (name) => nodes.get(name),
    async register(request) {
      const now = new Date().toISOString();
      const previous = nodes.get(request.name);
      const node: RegisteredNode = {
        name: request.name,
        url: request.url,
        version: request.version,
        ready: false,
        error: "registered: applying the cluster configuration",
        lastSeen: now,
        registeredAt: now,
        configVersion: "",
      };
      await save(node);
      return {
        node,
        replaced: previous !== undefined && previous.url !== request.url ? previous : undefined,
      };
    },
    async heartbeat(name, request) {
      const known = nodes.get(name);
      if (!known) return undefined;
      const node: RegisteredNode = {
        ...known,
        url: request.url,
        version: request.version,
        ready: request.ready,
        error: request.ready ? "" : request.error,
        configVersion: request.configVersion,
        lastSeen: new Date().toISOString(),
      };
      await save(node);
      return node;
    },
    async recordHealth(name, health) {
      const known = nodes.get(name);
      if (!known) return;
      const lastSeen = health.reachable ? new Date().toISOString() : known.lastSeen;
      const changed = known.ready !== health.ready || known.error !== health.error || health.reachable;
      if (changed) await save({ ...known, ready: health.ready, error: health.error, lastSeen });
    },
    async remove(name) {
      const existed = nodes.delete(name);
      await db.query("DELETE FROM cluster_nodes WHERE cluster = $1 AND name = $2", [cluster, name]);
      return existed;
    },
  };
}

/**
 * Deletes every `cluster_nodes` row of `cluster` and resolves with the names removed: for a cluster
 * that is gone (its HugrCluster deleted), whose rows would otherwise outlive it, and greet a cluster
 * created later under the same id with nodes that no longer exist.
 */
export async function forgetClusterNodes(db: CoreDb, cluster: string): Promise<string[]> {
  if (db.readOnly) throw readOnlyError();
  const rows = await db.query<{ name: string }>(
    "DELETE FROM cluster_nodes WHERE cluster = $1 RETURNING name",
    [cluster],
  );
  return rows.map((r) => r.name).sort();
}

function fromRow(row: NodeRow): RegisteredNode {
  return {
    name: row.name,
    url: row.url,
    version: row.version,
    ready: row.ready,
    error: row.error,
    registeredAt: new Date(row.registered_at).toISOString(),
    lastSeen: new Date(row.last_seen).toISOString(),
    configVersion: "",
  };
}
