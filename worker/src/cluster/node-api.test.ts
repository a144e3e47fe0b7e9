import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listen, type Listening } from "@hugr/common";
import {
  createNodeClient,
  ProtocolError,
  signRequest,
  type NodeClient,
  type StorageSpec,
} from "@hugr/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataSourceError, type DataSourceRuntime } from "../data-sources/index.js";
import { createReadiness } from "../http/index.js";
import { createStorageRegistry, type StorageRegistry } from "../storages/index.js";
import { createNodeApi } from "./node-api.js";

const SECRET = "node-api-test-secret-5e1d";

/** A node that knows one data source, "sales", which loads and unloads. */
function dataSources(): DataSourceRuntime {
  let attached = false;
  const known = (name: string): void => {
    if (name !== "sales")
      throw new DataSourceError("DATA_SOURCE_NOT_FOUND", `data source '${name}' not found`);
  };
  return {
    status: async (name) => (known(name), attached ? "attached" : "detached"),
    lastError: () => "",
    load: async (name) => (known(name), void (attached = true)),
    unload: async (name) => (known(name), void (attached = false)),
    forget: async () => undefined,
    loadAllEnabled: async () => undefined,
    ensureAttached: async () => undefined,
    ensureDetached: async () => undefined,
    attached: () => (attached ? ["sales"] : []),
  };
}

const spec: StorageSpec = {
  type: "s3",
  name: "lake",
  scope: "s3://bucket",
  key: "AKIA-node-api",
  secret: "storage-secret-9f",
  region: "",
  endpoint: "http://127.0.0.1:9",
  useSsl: false,
  urlStyle: "path",
  urlCompatibility: false,
  kmsKeyId: "",
  accountId: "",
};

let dir: string;
let storages: StorageRegistry;
let server: Listening;
let node: NodeClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hugr-node-api-"));
  storages = createStorageRegistry({ cacheDir: dir, maxCacheBytes: 1024 * 1024 });
  const api = createNodeApi({
    nodeName: "worker-0",
    version: "1.0.0",
    secret: SECRET,
    readiness: createReadiness("ready"),
    dataSources: dataSources(),
    storages,
    cache: { onRemoteInvalidation: () => undefined },
  });
  server = await listen(api.fetch, { host: "127.0.0.1", port: 0 });
  node = createNodeClient({ baseUrl: server.url, secret: SECRET, timeoutMs: 30_000 });
});
afterAll(async () => {
  await server?.close(0);
  await rm(dir, { recursive: true, force: true });
});

/** A request signed by hand, for what the typed client would never send. */
function signed(secret: string, method: string, path: string, body: unknown): Promise<Response> {
  const text = JSON.stringify(body);
  const headers = signRequest(secret, { method, pathWithQuery: path, body: text });
  return fetch(`${server.url}${path}`, {
    method,
    headers: { ...headers, "content-type": "application/json" },
    body: text,
  });
}

async function failure(promise: Promise<unknown>): Promise<ProtocolError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe("the node API over real HTTP", () => {
  it("serves every route of the contract through its typed client", async () => {
    expect(await node.health()).toEqual({ name: "worker-0", version: "1.0.0", ready: true, error: "" });
    expect(await node.loadDataSource("sales")).toEqual({ success: true, error: "" });
    expect(await node.dataSourceStatus("sales")).toEqual({ status: "attached", error: "" });
    expect(await node.unloadDataSource("sales")).toEqual({ success: true, error: "" });
    // Unloading what the node does not know is done already; loading it is the node's refusal.
    expect(await node.unloadDataSource("gone")).toEqual({ success: true, error: "" });
    expect(await node.loadDataSource("gone")).toEqual({
      success: false,
      error: "data source 'gone' not found",
    });
    expect(await node.registerStorage(spec)).toEqual({ success: true, error: "" });
    const listed = JSON.stringify(await node.storages());
    expect(listed).toContain('"name":"lake"');
    expect(listed).not.toContain(spec.secret);
    expect(await node.unregisterStorage("lake")).toEqual({ success: true, error: "" });
    expect(storages.names()).toEqual([]);
    expect(await node.invalidateCache({ origin: "c1", scope: "all" })).toEqual({ success: true, error: "" });
  });

  it("answers a 6 MB storage spec with 413 PAYLOAD_TOO_LARGE, not a broken connection", async () => {
    const error = await failure(node.registerStorage({ ...spec, kmsKeyId: "k".repeat(6 * 1024 * 1024) }));
    expect(error.status).toBe(413);
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(storages.names()).toEqual([]);
    expect((await node.health()).ready).toBe(true);
  });

  it.each([
    [
      "a storage spec missing its credentials",
      { ...spec, secret: undefined },
      /secret must be a non-empty string/,
    ],
    ["a URL style the storage does not know", { ...spec, urlStyle: "virtual" }, /urlStyle must be/],
  ])("answers 400 BAD_REQUEST to %s, naming the field", async (_what, body, message) => {
    const error = await failure(node.registerStorage(body as StorageSpec));
    expect(error.status).toBe(400);
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(spec.secret);
  });

  it("refuses a storage spec named unlike its path", async () => {
    const response = await signed(SECRET, "PUT", "/cluster/v1/storages/lake", { ...spec, name: "other" });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: "BAD_REQUEST", message: "name 'other' does not match the path's 'lake'" },
    });
    expect(storages.names()).toEqual([]);
  });

  it("refuses a malformed name in a path with 400", async () => {
    const error = await failure(node.loadDataSource("web-analytics"));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/data source name must/);
  });

  it("answers a request signed with another secret with 401 and does nothing", async () => {
    const response = await signed("another-secret", "PUT", "/cluster/v1/storages/lake", spec);
    expect(response.status).toBe(401);
    expect(storages.names()).toEqual([]);
  });
});
