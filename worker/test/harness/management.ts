/**
 * Test harness: a small, real management node for in-process worker tests. It speaks the signed
 * management API over HTTP (register, heartbeat, deregister, and the data-source endpoints) and,
 * for a managed cluster, does what the operator's reconcile does with a data source: writes its row
 * into the core database with coredb's repository, then answers. The real operator is tested in
 * operator/test; this double exists to test the worker's side of the contract.
 */
import { Hono } from "hono";
import { listen } from "@hugr/common";
import {
  deleteDataSources,
  getDataSource,
  insertDataSource,
  updateDataSources,
  type CoreDb,
} from "@hugr/coredb";
import {
  BadRequest,
  jsonError,
  managementRoutes,
  serveRoute,
  verifySignature,
  type ClusterOperationResult,
  type DataSourceDefinition,
  type ErrorCode,
  type HeartbeatResponse,
  type NodeClusterConfig,
  type NodeInfo,
  type RegisterNodeResponse,
} from "@hugr/protocol";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface Refusal {
  status: ContentfulStatusCode;
  code: ErrorCode;
  message: string;
}

export interface ManagementDouble {
  url: string;
  /** What registration and heartbeats distribute; replace it to change the cluster's configuration. */
  config: NodeClusterConfig;
  /** Where the "reconcile" writes; set once the worker has migrated the database. */
  db: CoreDb | undefined;
  /** Data-source calls received (`PUT analytics`, `DELETE analytics`, `UNLOAD analytics`), in order. */
  calls: string[];
  /** Bodies of the PUTs received, in order. */
  puts: DataSourceDefinition[];
  /**
   * When set, data-source PUTs and DELETEs are refused with it and change nothing; a function
   * chooses per call (`PUT sales`, `DELETE sales`), refusing when it returns a refusal.
   */
  refusal: Refusal | ((call: string) => Refusal | undefined) | undefined;
  /** When set, accepted changes answer this result (after writing) instead of success. */
  outcome: ClusterOperationResult | undefined;
  /** When true, the "reconcile" appends " [reconciled]" to descriptions, so a test sees whose row it reads. */
  annotate: boolean;
  /** configVersion of the node's last heartbeat: equals config.version once the node applied it. */
  appliedVersion(): string;
  close(): Promise<void>;
}

export const MANAGED_CONFIG: NodeClusterConfig = {
  version: "managed-1",
  auth: { allowedAnonymous: true, anonymousRole: "admin" },
  dataSources: { loaded: [], unloaded: [] },
  storages: [],
  managed: "kubernetes",
};

export const STANDALONE_CONFIG: NodeClusterConfig = {
  version: "standalone-1",
  auth: { allowedAnonymous: true, anonymousRole: "admin" },
  dataSources: { loaded: [], unloaded: [] },
  storages: [],
};

const OK: ClusterOperationResult = { success: true, message: "", nodes: [] };

export async function startManagementDouble(secret: string): Promise<ManagementDouble> {
  let applied = "";
  const double: ManagementDouble = {
    url: "",
    config: MANAGED_CONFIG,
    db: undefined,
    calls: [],
    puts: [],
    refusal: undefined,
    outcome: undefined,
    annotate: false,
    appliedVersion: () => applied,
    close: () => Promise.resolve(), // replaced once listening
  };
  const nodeInfo = (name: string, url: string, version: string): NodeInfo => ({
    name,
    url,
    version,
    ready: true,
    lastSeen: new Date().toISOString(),
    error: "",
  });
  const coreDb = (): CoreDb => {
    if (!double.db) throw new Error("the management double has no core database yet");
    return double.db;
  };

  const app = new Hono();
  app.use("*", verifySignature({ secret }));
  // As the real management node: the contract's checks refuse malformed requests with 400.
  app.onError((error, c) => {
    if (error instanceof BadRequest) return jsonError(c, 400, "BAD_REQUEST", error.message);
    throw error;
  });
  const routes = managementRoutes;
  serveRoute(app, routes.register, (c, { body: request }) => {
    const answer: RegisterNodeResponse = {
      node: nodeInfo(request.name, request.url, request.version),
      config: double.config,
      heartbeatIntervalMs: 50,
      operationTimeoutMs: 5_000,
    };
    return c.json(answer);
  });
  serveRoute(app, routes.heartbeat, (c, { params, body: request }) => {
    applied = request.configVersion;
    const answer: HeartbeatResponse = {
      node: nodeInfo(params.node, request.url, request.version),
      ...(request.configVersion === double.config.version ? {} : { config: double.config }),
    };
    return c.json(answer);
  });
  serveRoute(app, routes.deregister, (c) => c.body(null, 204));
  serveRoute(app, routes.unloadDataSource, (c, { params }) => {
    double.calls.push(`UNLOAD ${params.name}`);
    return c.json(OK);
  });
  const refusalFor = (call: string): Refusal | undefined => {
    double.calls.push(call);
    return typeof double.refusal === "function" ? double.refusal(call) : double.refusal;
  };
  serveRoute(app, routes.putDataSource, async (c, { params, body: definition }) => {
    double.puts.push(definition);
    const refusal = refusalFor(`PUT ${params.name}`);
    if (refusal) return jsonError(c, refusal.status, refusal.code, refusal.message);
    await reconcile(coreDb(), double.annotate ? annotated(definition) : definition);
    return c.json(double.outcome ?? OK);
  });
  serveRoute(app, routes.deleteDataSource, async (c, { params: { name } }) => {
    const refusal = refusalFor(`DELETE ${name}`);
    if (refusal) return jsonError(c, refusal.status, refusal.code, refusal.message);
    await deleteDataSources(coreDb(), [name]);
    return c.json(double.outcome ?? OK);
  });

  const server = await listen(app.fetch, { host: "127.0.0.1", port: 0 });
  double.url = server.url;
  double.close = () => server.close(1_000);
  return double;
}

/** The operator's reconcile of a data source, as far as the core database is concerned. */
async function reconcile(db: CoreDb, definition: DataSourceDefinition): Promise<void> {
  const { name, catalogs, ...fields } = definition;
  if (await getDataSource(db, name)) await updateDataSources(db, [name], fields);
  else await insertDataSource(db, { name, ...fields, catalogs });
}

function annotated(definition: DataSourceDefinition): DataSourceDefinition {
  return { ...definition, description: `${definition.description} [reconciled]` };
}
