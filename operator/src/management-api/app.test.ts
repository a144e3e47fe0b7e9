import { createLogger, listen } from "@hugr/common";
import { openCoreDb, type CoreDb } from "@hugr/coredb";
import {
  createManagementClient,
  managementRoutes,
  ProtocolError,
  routePath,
  signRequest,
  verifySignature,
} from "@hugr/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterPath, createManagementApp } from "./app.js";
import { createManagementMetrics } from "./metrics.js";
import { createClusterService, type ClusterService } from "./service.js";

const SECRET = "test-secret";
const logger = createLogger("silent");
let db: CoreDb;
let service: ClusterService;
let app: ReturnType<typeof createManagementApp>;

beforeAll(async () => {
  db = await openCoreDb({ kind: "pglite", dir: "memory://", readOnly: false }, { logger });
  const metrics = createManagementMetrics();
  service = createClusterService({
    db,
    cluster: "",
    secret: SECRET,
    timeoutMs: 500,
    checkIntervalMs: 60_000,
    removeAfterMs: 60_000,
    auth: { allowedAnonymous: true, anonymousRole: "anonymous", secretKey: "admin-key" },
    logger,
    metrics,
  });
  await service.start();
  app = createManagementApp({
    clusters: {
      get: (id) => (id === "" ? { service, verify: verifySignature({ secret: SECRET }) } : undefined),
    },
    layout: "single",
    logger,
    metrics,
  });
  // Opening the embedded database takes seconds, more on a busy machine.
}, 60_000);
afterAll(async () => {
  service?.stop();
  await db?.close();
});

async function signed(method: string, path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const headers = signRequest(SECRET, { method, pathWithQuery: path, body: text });
  return app.request(path, {
    method,
    headers: { ...headers, "content-type": "application/json" },
    ...(text === "" ? {} : { body: text }),
  });
}

describe("management API", () => {
  it("registers a node and hands it the cluster configuration, auth settings included", async () => {
    const response = await signed("POST", "/v1/nodes", {
      name: "w1",
      url: "http://127.0.0.1:15001",
      version: "1.0.0",
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as {
      node: { ready: boolean };
      config: { auth: unknown; version: string };
      operationTimeoutMs: number;
    };
    expect(answer.node.ready).toBe(false);
    expect(answer.config.auth).toEqual({
      allowedAnonymous: true,
      anonymousRole: "anonymous",
      secretKey: "admin-key",
    });
    expect(answer.operationTimeoutMs).toBe(5_500);

    const beat = await signed("POST", "/v1/nodes/w1/heartbeat", {
      url: "http://127.0.0.1:15001",
      version: "1.0.0",
      ready: true,
      error: "",
      configVersion: answer.config.version,
    });
    expect(((await beat.json()) as { node: { ready: boolean }; config?: unknown }).config).toBeUndefined();
    expect(service.nodes().map((n) => [n.name, n.ready])).toEqual([["w1", true]]);
  });

  it("sends the new configuration with the heartbeat answer after it changed", async () => {
    const before = (await (
      await signed("POST", "/v1/nodes", { name: "w2", url: "http://127.0.0.1:15002", version: "1" })
    ).json()) as {
      config: { version: string };
    };
    const result = await signed("PUT", "/v1/storages/s", {
      type: "s3",
      name: "s",
      scope: "b",
      key: "k",
      secret: "sec",
      region: "",
      endpoint: "http://minio:9000",
      useSsl: false,
      urlStyle: "path",
      urlCompatibility: false,
      kmsKeyId: "",
      accountId: "",
    });
    // w1 and w2 are registered but unreachable: the operation fails and names them.
    const outcome = (await result.json()) as { success: boolean; message: string };
    expect(outcome.success).toBe(false);
    const beat = await signed("POST", "/v1/nodes/w2/heartbeat", {
      url: "http://127.0.0.1:15002",
      version: "1",
      ready: true,
      error: "",
      configVersion: before.config.version,
    });
    const answer = (await beat.json()) as { config?: { version: string; storages: { name: string }[] } };
    expect(answer.config?.version).not.toBe(before.config.version);
    expect(answer.config?.storages.map((s) => s.name)).toEqual(["s"]);
  });

  it.each([
    ["a body that is not JSON", "POST", "/v1/nodes", "{not json", /not valid JSON/],
    [
      "a missing name",
      "POST",
      "/v1/nodes",
      { url: "http://x:1", version: "1" },
      /name must be a non-empty string/,
    ],
    [
      "a URL that is not http",
      "POST",
      "/v1/nodes",
      { name: "x", url: "ftp://x", version: "1" },
      /url must be an http\(s\) URL/,
    ],
    [
      "a heartbeat without ready",
      "POST",
      "/v1/nodes/w1/heartbeat",
      { url: "http://x:1", version: "1" },
      /ready must be a boolean/,
    ],
    ["a storage whose name differs from the path", "PUT", "/v1/storages/a", { name: "b" }, /type must be/],
    // What a misconfigured node or a buggy client sends: refused at the edge, never registered.
    [
      "a node named like a path",
      "POST",
      "/v1/nodes",
      { name: "../../etc", url: "http://x:1", version: "1" },
      /name must be a DNS-1123 name/,
    ],
    [
      "a node name of 5,000 characters",
      "POST",
      "/v1/nodes",
      { name: "a".repeat(5000), url: "http://x:1", version: "1" },
      /at most 253 characters/,
    ],
    [
      "an upper-case node name",
      "POST",
      "/v1/nodes",
      { name: "Worker-1", url: "http://x:1", version: "1" },
      /DNS-1123/,
    ],
    [
      "a heartbeat for a malformed node name",
      "POST",
      "/v1/nodes/..%2F..%2Fetc/heartbeat",
      {},
      /node name must be/,
    ],
    [
      "a data source name holding %00",
      "POST",
      "/v1/data-sources/a%00b/load",
      undefined,
      /data source name must/,
    ],
    [
      "a data source name with a dash",
      "GET",
      "/v1/data-sources/web-analytics/status",
      undefined,
      /data source name/,
    ],
    ["a storage name with a slash", "DELETE", "/v1/storages/a%2Fb", undefined, /storage name must/],
  ])("answers 400 BAD_REQUEST to %s", async (_case, method, path, body, message) => {
    const response = await signed(method, path, body);
    expect(response.status).toBe(400);
    const envelope = (await response.json()) as { error: { code: string; message: string } };
    expect(envelope.error.code).toBe("BAD_REQUEST");
    expect(envelope.error.message).toMatch(message);
    expect(service.nodes().map((n) => n.name)).not.toContain("../../etc");
  });

  it("answers 404 NODE_NOT_REGISTERED to a heartbeat from an unknown node", async () => {
    const response = await signed("POST", "/v1/nodes/ghost/heartbeat", {
      url: "http://127.0.0.1:1",
      version: "1",
      ready: true,
      error: "",
      configVersion: "",
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("NODE_NOT_REGISTERED");
  });

  it("serves probes and metrics without a signature, and nothing else", async () => {
    expect((await app.request("/health")).status).toBe(200);
    expect(await (await app.request("/metrics")).text()).toMatch(
      /hugr_management_registrations_total\{cluster=""\} 2/,
    );
    expect((await app.request("/v1/nodes")).status).toBe(401);
  });
});

describe("management API, one route per cluster (Kubernetes mode)", () => {
  const secrets = { "team-a/demo": "secret-a", "team-b/demo": "secret-b" };
  let serving = true;
  let live: ReturnType<typeof createManagementApp>;

  beforeAll(() => {
    const metrics = createManagementMetrics();
    const endpoints = new Map(
      Object.entries(secrets).map(([id, secret]) => [id, { service, verify: verifySignature({ secret }) }]),
    );
    live = createManagementApp({
      clusters: {
        get: (id) => endpoints.get(id),
        unavailable: () => (serving ? undefined : "standby"),
      },
      layout: "multi",
      logger,
      metrics,
      probes: {
        live: () => ({ ok: true }),
        ready: () => (serving ? { ok: true } : { ok: false, reason: "standby: another replica leads" }),
      },
    });
  });

  async function signedAs(secret: string, path: string): Promise<Response> {
    return live.request(path, {
      headers: signRequest(secret, { method: "GET", pathWithQuery: path, body: "" }),
    });
  }

  it("serves each cluster's API under clusterPath, the base URL its workers are given", async () => {
    const path = clusterPath("team-a", "demo") + routePath(managementRoutes.nodes, {});
    expect(path).toBe("/clusters/team-a/demo/v1/nodes");
    expect((await signedAs("secret-a", path)).status).toBe(200);
  });

  it("gives a route its own path parameters: a data source's name is not the cluster's", async () => {
    const asked: string[] = [];
    const recording: ClusterService = {
      ...service,
      dataSourceStatus: (name) => {
        asked.push(name);
        return Promise.resolve({ nodes: [] });
      },
    };
    const app = createManagementApp({
      clusters: {
        get: (id) =>
          id === "team-a/demo"
            ? { service: recording, verify: verifySignature({ secret: "secret-a" }) }
            : undefined,
      },
      layout: "multi",
      logger,
      metrics: createManagementMetrics(),
    });
    const path =
      clusterPath("team-a", "demo") + routePath(managementRoutes.dataSourceStatus, { name: "web_analytics" });
    const response = await app.request(path, {
      headers: signRequest("secret-a", { method: "GET", pathWithQuery: path, body: "" }),
    });
    expect(response.status).toBe(200);
    expect(asked).toEqual(["web_analytics"]);
  });

  it("checks each cluster's requests with that cluster's own secret", async () => {
    expect((await signedAs("secret-a", "/clusters/team-a/demo/v1/nodes")).status).toBe(200);
    expect((await signedAs("secret-b", "/clusters/team-b/demo/v1/nodes")).status).toBe(200);
    const crossed = await signedAs("secret-a", "/clusters/team-b/demo/v1/nodes");
    expect(crossed.status).toBe(401);
    expect(((await crossed.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
  });

  it("answers 404 CLUSTER_NOT_FOUND for a cluster it does not serve, and 404 for the standalone paths", async () => {
    const unknown = await signedAs("secret-a", "/clusters/team-z/demo/v1/nodes");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("CLUSTER_NOT_FOUND");
    expect((await signedAs("secret-a", "/v1/nodes")).status).toBe(404);
  });

  it("answers 503 UNAVAILABLE and not-ready while it is a standby", async () => {
    serving = false;
    try {
      const response = await signedAs("secret-a", "/clusters/team-a/demo/v1/nodes");
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("UNAVAILABLE");
      const ready = await live.request("/ready");
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: "unavailable", reason: "standby: another replica leads" });
      expect((await live.request("/health")).status).toBe(200);
    } finally {
      serving = true;
    }
  });
});

describe("management API over real HTTP", () => {
  it("answers a 6 MB registration with 413 PAYLOAD_TOO_LARGE, not a broken connection", async () => {
    const server = await listen(app.fetch, { host: "127.0.0.1", port: 0 });
    try {
      const client = createManagementClient({ baseUrl: server.url, secret: SECRET, timeoutMs: 30_000 });
      const huge = { name: "w-huge", url: "http://127.0.0.1:15009", version: "x".repeat(6 * 1024 * 1024) };
      const error: unknown = await client.register(huge).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).status).toBe(413);
      expect((error as ProtocolError).code).toBe("PAYLOAD_TOO_LARGE");
      expect((error as ProtocolError).details).toEqual({ maxBodyBytes: 1024 * 1024 });
      expect(service.nodes().map((n) => n.name)).not.toContain("w-huge");
      // The server is still answering on its API.
      expect((await client.nodes()).nodes.length).toBeGreaterThan(0);
    } finally {
      await server.close(0);
    }
  });
});
