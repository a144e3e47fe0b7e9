import { createServer, type AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManagementClient, createNodeClient, createSignedClient } from "./client.js";
import {
  managementRoutes,
  nodeRoutes,
  type ClusterOperationResult,
  type NodeHealth,
  type RegisterNodeRequest,
  type RegisterNodeResponse,
  type StorageSpec,
} from "./contract.js";
import { ProtocolError } from "./errors.js";
import { jsonError, verifySignature } from "./middleware.js";
import { createReplayCache, verifyRequest } from "./signing.js";

const SECRET = "client-test-secret-7f3a9c1e5b";

const registration: RegisterNodeResponse = {
  node: { name: "worker-0", url: "http://w0:15000", version: "1.0.0", ready: false, lastSeen: "", error: "" },
  config: {
    version: "c1",
    auth: { allowedAnonymous: true, anonymousRole: "anonymous" },
    dataSources: { loaded: [], unloaded: [] },
    storages: [],
  },
  heartbeatIntervalMs: 5_000,
  operationTimeoutMs: 35_000,
};
const health: NodeHealth = { name: "worker-0", version: "1.0.0", ready: true, error: "" };
const operation: ClusterOperationResult = { success: true, message: "", nodes: [] };

const spec: StorageSpec = {
  type: "s3",
  name: "my store/1",
  scope: "s3://bucket",
  key: "AKIA",
  secret: "s3-secret",
  region: "eu",
  endpoint: "minio:9000",
  useSsl: false,
  urlStyle: "path",
  urlCompatibility: false,
  kmsKeyId: "",
  accountId: "",
};

/**
 * Both APIs on one server, behind the signature middleware, with fixed answers. Mounted by the
 * contract's patterns but without its checks: these tests are about what the client sends.
 */
function createApp(): Hono {
  const app = new Hono();
  const m = managementRoutes;
  const n = nodeRoutes;
  app.use(verifySignature({ secret: SECRET }));
  app.on(m.register.method, m.register.pattern, async (c) => {
    const body = await c.req.json<RegisterNodeRequest>();
    return c.json({ ...registration, node: { ...registration.node, name: body.name, url: body.url } });
  });
  app.on(m.heartbeat.method, m.heartbeat.pattern, (c) =>
    jsonError(c, 404, "NODE_NOT_REGISTERED", `node '${c.req.param("node")}' is not registered`, {
      node: c.req.param("node"),
    }),
  );
  app.on(m.deregister.method, m.deregister.pattern, (c) => c.body(null, 204));
  app.on(m.loadDataSource.method, m.loadDataSource.pattern, (c) =>
    c.json({ ...operation, message: `loaded ${c.req.param("name")}` }),
  );
  app.on(m.registerStorage.method, m.registerStorage.pattern, async (c) => {
    const body = await c.req.json<StorageSpec>();
    return c.json({ ...operation, message: `${c.req.param("name")}=${body.name}` });
  });
  app.on(n.health.method, n.health.pattern, (c) => c.json(health));
  app.on(n.dataSourceStatus.method, n.dataSourceStatus.pattern, async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return c.json({ status: "attached", error: "" });
  });
  app.on(n.storages.method, n.storages.pattern, (c) => c.text("<html>bad gateway</html>", 502));
  app.on(n.loadDataSource.method, n.loadDataSource.pattern, (c) =>
    jsonError(c, 500, "INTERNAL", `leaked ${SECRET} by a careless server`),
  );
  return app;
}

type Server = ReturnType<typeof serve>;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = serve({ fetch: createApp().fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ("closeAllConnections" in server) server.closeAllConnections();
  });
});

/** A loopback port nobody listens on: bound, read, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<ProtocolError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe("typed clients over real HTTP", () => {
  it("registers a node and reads the answer", async () => {
    const management = createManagementClient({ baseUrl, secret: SECRET, timeoutMs: 2_000 });
    const answer = await management.register({ name: "worker-7", url: "http://w7:15000", version: "1.0.0" });
    expect(answer).toEqual({
      ...registration,
      node: { ...registration.node, name: "worker-7", url: "http://w7:15000" },
    });
  });

  it("reads a node's health", async () => {
    const node = createNodeClient({ baseUrl, secret: SECRET, timeoutMs: 2_000 });
    expect(await node.health()).toEqual(health);
  });

  it("returns undefined for 204 (deregister)", async () => {
    const management = createManagementClient({ baseUrl, secret: SECRET, timeoutMs: 2_000 });
    await expect(management.deregister("worker 0/a")).resolves.toBeUndefined();
  });

  it("signs encoded path segments as the server sees them", async () => {
    const management = createManagementClient({ baseUrl, secret: SECRET, timeoutMs: 2_000 });
    expect((await management.loadDataSource("sales db/ü?x")).message).toBe("loaded sales db/ü?x");
    expect((await management.registerStorage(spec)).message).toBe("my store/1=my store/1");
  });

  it("keeps a path prefix of the base URL and signs the full path", async () => {
    const seen: Request[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(new Request(input, init));
      return Promise.resolve(Response.json(health));
    };
    const prefixed = `${baseUrl}/hugr/`;
    const client = createSignedClient({
      baseUrl: prefixed,
      secret: SECRET,
      timeoutMs: 2_000,
      fetch: recording,
    });
    expect(await client.request("GET", nodeRoutes.health.pattern)).toEqual(health);
    const sent = seen[0];
    expect(sent?.url).toBe(`${baseUrl}/hugr${nodeRoutes.health.pattern}`);
    const verified = verifyRequest(
      { secret: SECRET, replayCache: createReplayCache() },
      {
        method: "GET",
        pathWithQuery: `/hugr${nodeRoutes.health.pattern}`,
        body: new Uint8Array(0),
        headers: sent!.headers,
      },
    );
    expect(verified).toEqual({ ok: true });
  });

  it("refuses a GET with a body", async () => {
    const client = createSignedClient({ baseUrl, secret: SECRET, timeoutMs: 2_000 });
    await expect(client.request("GET", nodeRoutes.health.pattern, { x: 1 })).rejects.toThrow(TypeError);
  });
});

describe("failures", () => {
  it("turns an error envelope into a ProtocolError with status, code and details", async () => {
    const management = createManagementClient({ baseUrl, secret: SECRET, timeoutMs: 2_000 });
    const error = await failure(
      management.heartbeat("worker-3", {
        url: "http://w3:15000",
        version: "1.0.0",
        ready: true,
        error: "",
        configVersion: "c1",
      }),
    );
    expect(error.status).toBe(404);
    expect(error.code).toBe("NODE_NOT_REGISTERED");
    expect(error.details).toEqual({ node: "worker-3" });
    expect(error.message).toContain("node 'worker-3' is not registered");
    expect(error.message).toContain(new URL(baseUrl).host);
    expect(error.transient).toBe(false);
  });

  it("reports a wrong secret as 401 UNAUTHORIZED, not as an outage", async () => {
    const node = createNodeClient({ baseUrl, secret: "not-the-cluster-secret", timeoutMs: 2_000 });
    const error = await failure(node.health());
    expect(error.status).toBe(401);
    expect(error.code).toBe("UNAUTHORIZED");
    expect(error.message).toContain("request signature rejected: bad signature");
    expect(error.transient).toBe(false);
    expect(error.message).not.toContain("not-the-cluster-secret");
  });

  it("derives the code from the status when the answer has no envelope", async () => {
    const node = createNodeClient({ baseUrl, secret: SECRET, timeoutMs: 2_000 });
    const error = await failure(node.storages());
    expect(error.status).toBe(502);
    expect(error.code).toBe("INTERNAL");
    expect(error.transient).toBe(true);
  });

  it("redacts the secret even when the peer echoes it", async () => {
    const node = createNodeClient({ baseUrl, secret: SECRET, timeoutMs: 2_000 });
    const error = await failure(node.loadDataSource("x"));
    expect(error.code).toBe("INTERNAL");
    expect(error.message).toContain("leaked *** by a careless server");
    expect(error.message).not.toContain(SECRET);
  });

  it("reports a server slower than the timeout as TIMEOUT", async () => {
    const node = createNodeClient({ baseUrl, secret: SECRET, timeoutMs: 100 });
    const error = await failure(node.dataSourceStatus("slow"));
    expect(error.code).toBe("TIMEOUT");
    expect(error.status).toBe(0);
    expect(error.message).toContain("100 ms");
    expect(error.message).toContain(new URL(baseUrl).host);
    expect(error.message).not.toContain(SECRET);
    expect(error.transient).toBe(true);
  });

  it("reports a closed port as UNREACHABLE naming host:port and the cause", async () => {
    const port = await closedPort();
    const management = createManagementClient({
      baseUrl: `http://127.0.0.1:${port}`,
      secret: SECRET,
      timeoutMs: 2_000,
    });
    const error = await failure(management.nodes());
    expect(error.code).toBe("UNREACHABLE");
    expect(error.status).toBe(0);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it("refuses an empty secret and a base URL that is not http(s)", () => {
    expect(() => createSignedClient({ baseUrl, secret: "", timeoutMs: 1 })).toThrow(/must not be empty/);
    expect(() => createSignedClient({ baseUrl: "ftp://x", secret: SECRET, timeoutMs: 1 })).toThrow(TypeError);
    expect(() => createSignedClient({ baseUrl: "not a url", secret: SECRET, timeoutMs: 1 })).toThrow(
      TypeError,
    );
    const withPassword = () =>
      createSignedClient({ baseUrl: "http://admin:hunter2@h:1", secret: SECRET, timeoutMs: 1 });
    expect(withPassword).toThrow("the base URL must not contain a user or password");
  });
});
