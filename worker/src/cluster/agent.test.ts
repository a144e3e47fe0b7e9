import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { createLogger, listen, type Listening } from "@hugr/common";
import {
  jsonError,
  managementRoutes,
  serveRoute,
  verifySignature,
  type NodeClusterConfig,
  type RegisterNodeResponse,
} from "@hugr/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DataSourceRuntime } from "../data-sources/index.js";
import { createReadiness, type Readiness } from "../http/index.js";
import { createMetrics, type WorkerMetrics } from "../observability/index.js";
import { createStorageRegistry } from "../storages/index.js";
import { createClusterAgent, type ClusterAgent } from "./agent.js";
import { createManagementClients } from "./clients.js";
import { createClusterMode } from "./mode.js";

const SECRET = "agent-test-secret-31c9";
const CONFIG: NodeClusterConfig = {
  version: "c1",
  auth: { allowedAnonymous: true, anonymousRole: "admin" },
  dataSources: { loaded: [], unloaded: [] },
  storages: [],
};

/** A node without data sources: registration applies the configuration to nothing. */
const noDataSources: DataSourceRuntime = {
  status: async () => "detached",
  lastError: () => "",
  load: async () => undefined,
  unload: async () => undefined,
  forget: async () => undefined,
  loadAllEnabled: async () => undefined,
  ensureAttached: async () => undefined,
  ensureDetached: async () => undefined,
  attached: () => [],
};

/**
 * A management node that answers registrations with 503 UNAVAILABLE while `refusing` says so, and
 * counts the requests it got.
 */
function managementNode(refusing: (attempt: number) => boolean) {
  const seen = { registrations: 0, deregistrations: 0 };
  const app = new Hono();
  app.use(verifySignature({ secret: SECRET }));
  serveRoute(app, managementRoutes.register, (c, { body }) => {
    seen.registrations += 1;
    if (refusing(seen.registrations)) return jsonError(c, 503, "UNAVAILABLE", "standby");
    const answer: RegisterNodeResponse = {
      node: { ...body, ready: false, lastSeen: new Date().toISOString(), error: "" },
      config: CONFIG,
      heartbeatIntervalMs: 60_000,
      operationTimeoutMs: 5_000,
    };
    return c.json(answer);
  });
  serveRoute(app, managementRoutes.heartbeat, (c, { params, body }) =>
    c.json({ node: { name: params.node, ...body, lastSeen: new Date().toISOString() } }),
  );
  serveRoute(app, managementRoutes.deregister, (c) => {
    seen.deregistrations += 1;
    return c.body(null, 204);
  });
  return { app, seen };
}

let dir: string;
let server: Listening | undefined;
let agent: ClusterAgent | undefined;
let readiness: Readiness;
let metrics: WorkerMetrics;
let warnings: { attempt?: number; retryInMs?: number; msg: string }[];
/** Resolves at the next warning logged. */
let nextWarning: Promise<void>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hugr-agent-"));
  readiness = createReadiness();
  metrics = createMetrics();
  warnings = [];
});
afterEach(async () => {
  await agent?.stop();
  await server?.close(0);
  await rm(dir, { recursive: true, force: true });
});

async function startAgent(refusing: (attempt: number) => boolean) {
  const management = managementNode(refusing);
  server = await listen(management.app.fetch, { host: "127.0.0.1", port: 0 });
  let warned = (): void => undefined;
  nextWarning = new Promise((resolve) => (warned = resolve));
  const logger = createLogger("warn", "worker", {
    write(line: string) {
      const entry = JSON.parse(line) as { level: string; attempt?: number; retryInMs?: number; msg: string };
      if (entry.level !== "warn") return;
      warnings.push({ attempt: entry.attempt, retryInMs: entry.retryInMs, msg: entry.msg });
      warned();
      nextWarning = new Promise((resolve) => (warned = resolve));
    },
  });
  const config = {
    secret: SECRET,
    managementUrl: server.url,
    nodeName: "worker-0",
    nodeUrl: "http://127.0.0.1:15000",
    timeoutMs: 5_000,
  };
  agent = createClusterAgent({
    config,
    version: "1.0.0",
    management: createManagementClients(config),
    targets: {
      dataSources: noDataSources,
      storages: createStorageRegistry({ cacheDir: dir, maxCacheBytes: 1024 * 1024 }),
    },
    mode: createClusterMode(),
    readiness,
    logger,
    metrics,
  });
  return management.seen;
}

const count = async (result: string): Promise<number> =>
  (await metrics.clusterRegistrations.get()).values.find((v) => v.labels["result"] === result)?.value ?? 0;

describe("the cluster agent", () => {
  it("registers once the management node answers, backing off and logging each refused attempt", async () => {
    const seen = await startAgent((attempt) => attempt <= 3);
    await agent!.start();
    expect(readiness.phase()).toBe("ready");
    expect(seen.registrations).toBe(4);
    const retries = warnings.filter((w) => w.msg === "registration failed, retrying");
    expect(retries.map((w) => w.attempt)).toEqual([1, 2, 3]);
    // 200 ms, doubling.
    expect(retries.map((w) => w.retryInMs)).toEqual([200, 400, 800]);
    expect(await count("failed")).toBe(3);
    expect(await count("ok")).toBe(1);
  });

  it("stops retrying when stopped, without becoming ready", async () => {
    const seen = await startAgent(() => true);
    const started = agent!.start();
    await nextWarning;
    await agent!.stop();
    await started;
    // start() settled: the retries ended with the stop, not with a registration.
    expect(readiness.phase()).toBe("starting");
    expect(await count("ok")).toBe(0);
    expect(await count("failed")).toBe(seen.registrations);
    expect(seen.deregistrations).toBe(1);
    agent = undefined;
  });
});
