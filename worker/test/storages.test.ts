import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { StorageSpec } from "@hugr/protocol";
import { createStorageRegistry, StorageError, type StorageRegistry } from "../src/storages/index.js";
import { s3ServerSpec, startS3Server, type S3Server } from "./harness/s3.js";

/**
 * The storage registry as the node uses it (ObjectStore), against a real S3 API: s3rver in process,
 * with SigV4 signatures checked by the harness. s3rver cannot paginate listings on Node 24 (its
 * continuation tokens use DES, which OpenSSL 3 no longer offers), so pagination is tested on the
 * client alone (src/storages/s3-client.test.ts).
 */
const BUCKET = "bkt";
const CATALOG = 'type orders @table(name: "orders") { id: Int! @pk  note: String } # «ünïcode»\n';
const OBJECTS: Record<string, string> = {
  "data/a.parquet": "A",
  "data/b.parquet": "BB",
  "data/sub/c.parquet": "CCC",
  "data/readme.txt": "read me",
  "database/x.parquet": "X",
  "catalog/schema.graphql": CATALOG,
  "literal/a*b.txt": "star",
};

let s3: S3Server;
let cacheDir: string;

beforeAll(async () => {
  s3 = await startS3Server();
  await s3.createBucket(BUCKET);
  for (const [key, body] of Object.entries(OBJECTS)) await s3.putObject(BUCKET, key, body);
});
afterAll(async () => {
  await s3.stop();
});
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "hugr-storages-"));
});
afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

function spec(overrides: Partial<StorageSpec> = {}): StorageSpec {
  return s3ServerSpec(s3, { name: "minio", scope: BUCKET, ...overrides });
}

/** A registry on this test's cache folder, counting the requests it sends. */
function registry(options: { maxCacheBytes?: number; fetch?: typeof fetch } = {}): {
  storages: StorageRegistry;
  requests: () => number;
} {
  let count = 0;
  const inner = options.fetch ?? fetch;
  const counting: typeof fetch = (input, init) => {
    count += 1;
    return inner(input, init);
  };
  const storages = createStorageRegistry({
    cacheDir,
    maxCacheBytes: options.maxCacheBytes ?? 1024 * 1024,
    fetch: counting,
  });
  return { storages, requests: () => count };
}

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

const cachedFile = (key: string, storage = "minio"): string => join(cacheDir, storage, BUCKET, key);

describe("reading objects", () => {
  it("lists the objects under a prefix, sorted, within the storage's scope", async () => {
    const { storages } = registry();
    storages.put(spec());
    expect(await storages.list(`s3://${BUCKET}/data/`)).toEqual([
      "s3://bkt/data/a.parquet",
      "s3://bkt/data/b.parquet",
      "s3://bkt/data/readme.txt",
      "s3://bkt/data/sub/c.parquet",
    ]);
    expect(await storages.list(`s3://${BUCKET}/data`)).toContain("s3://bkt/database/x.parquet");

    storages.put(spec({ scope: "bkt/data" }));
    expect(await storages.list(`s3://${BUCKET}/data`)).not.toContain("s3://bkt/database/x.parquet");
  });

  it("fetches an object into the cache once", async () => {
    const { storages, requests } = registry();
    storages.put(spec());
    const path = await storages.localPath("s3://bkt/data/b.parquet");
    expect(path).toBe(cachedFile("data/b.parquet"));
    expect(await readFile(path, "utf8")).toBe("BB");
    expect(await storages.localPath("s3://bkt/data/b.parquet")).toBe(path);
    expect(requests()).toBe(1);
  });

  it("reads a catalog file as UTF-8 text", async () => {
    const { storages } = registry();
    storages.put(spec());
    expect(await storages.readText("s3://bkt/catalog/schema.graphql")).toBe(CATALOG);
  });

  it("fetches every object a glob matches and returns the same glob on the local copy", async () => {
    const { storages } = registry();
    storages.put(spec());
    expect(await storages.localPath("s3://bkt/data/*.parquet")).toBe(cachedFile("data/*.parquet"));
    expect([cachedFile("data/a.parquet"), cachedFile("data/b.parquet")].every(existsSync)).toBe(true);
    expect(existsSync(cachedFile("data/sub/c.parquet"))).toBe(false);
    expect(existsSync(cachedFile("data/readme.txt"))).toBe(false);

    expect(await storages.localPath("s3://bkt/data/**/*.parquet")).toBe(cachedFile("data/**/*.parquet"));
    expect(await readFile(cachedFile("data/sub/c.parquet"), "utf8")).toBe("CCC");
    expect(existsSync(cachedFile("database/x.parquet"))).toBe(false);
  });

  it("drops cached copies of objects deleted from the bucket when a glob is fetched again", async () => {
    await s3.putObject(BUCKET, "gone/1.csv", "1");
    await s3.putObject(BUCKET, "gone/2.csv", "2");
    const { storages } = registry();
    storages.put(spec());
    await storages.localPath("s3://bkt/gone/*.csv");
    expect(existsSync(cachedFile("gone/2.csv"))).toBe(true);
    await s3.deleteObject(BUCKET, "gone/2.csv");
    await storages.localPath("s3://bkt/gone/*.csv");
    expect(existsSync(cachedFile("gone/1.csv"))).toBe(true);
    expect(existsSync(cachedFile("gone/2.csv"))).toBe(false);
  });

  it("refuses a glob that matches nothing, and a glob as text", async () => {
    const { storages } = registry();
    storages.put(spec());
    const none = await failure(storages.localPath("s3://bkt/data/*.csv"));
    expect(none.message).toBe("storage 'minio': no objects match s3://bkt/data/*.csv");
    await failure(storages.readText("s3://bkt/catalog/*.graphql"));
  });

  it("reads glob characters literally with url_compatibility", async () => {
    const { storages } = registry();
    storages.put(spec({ urlCompatibility: true }));
    expect(await storages.readText("s3://bkt/literal/a*b.txt")).toBe("star");
  });

  it("reaches buckets in virtual-host style", async () => {
    const { storages } = registry({ fetch: s3.vhostFetch });
    storages.put(spec({ urlStyle: "vhost", endpoint: s3.vhostEndpoint }));
    expect(await storages.readText("s3://bkt/data/readme.txt")).toBe("read me");
    expect(await storages.list("s3://bkt/catalog/")).toEqual(["s3://bkt/catalog/schema.graphql"]);
  });
});

describe("failures", () => {
  it("reports a wrong secret as SignatureDoesNotMatch without the secret", async () => {
    const secret = "not-the-secret-4711";
    const { storages } = registry();
    storages.put(spec({ secret }));
    const error = await failure(storages.localPath("s3://bkt/data/a.parquet"));
    expect(error).toMatchObject({ storage: "minio", url: "s3://bkt/data/a.parquet", status: 403 });
    expect(error.code).toBe("SignatureDoesNotMatch");
    expect(error.message).toMatch(
      /^storage 'minio': cannot read s3:\/\/bkt\/data\/a\.parquet: HTTP 403 SignatureDoesNotMatch/u,
    );
    expect(error.message).not.toContain(secret);
    expect((await failure(storages.list("s3://bkt/data/"))).code).toBe("SignatureDoesNotMatch");
  });

  it("reports an unknown access key without the key", async () => {
    const key = "UNKNOWNKEY4711";
    const { storages } = registry();
    storages.put(spec({ key }));
    const error = await failure(storages.readText("s3://bkt/data/readme.txt"));
    expect(error.code).toBe("InvalidAccessKeyId");
    expect(error.message).not.toContain(key);
  });

  it("reports a missing object as NoSuchKey and a missing bucket as NoSuchBucket", async () => {
    const { storages } = registry();
    storages.put(spec({ scope: "" }));
    const missing = await failure(storages.localPath("s3://bkt/data/missing.parquet"));
    expect(missing).toMatchObject({ status: 404, code: "NoSuchKey" });
    expect(missing.message).toBe(
      "storage 'minio': cannot read s3://bkt/data/missing.parquet: HTTP 404 NoSuchKey: The specified key does not exist.",
    );
    expect((await failure(storages.list("s3://nobucket/x"))).code).toBe("NoSuchBucket");
    expect(existsSync(cachedFile("data/missing.parquet"))).toBe(false);
  });

  it("serves a URL with the storage of the longest scope, path boundaries respected", async () => {
    const { storages } = registry();
    storages.put(spec({ name: "data", scope: "bkt/data" }));
    expect(storages.covers("s3://bkt/data/a.parquet")).toBe(true);
    expect(storages.covers("s3://bkt/database/x.parquet")).toBe(false);
    expect(storages.covers("https://bkt/data/a.parquet")).toBe(false);
    const uncovered = await failure(storages.localPath("s3://bkt/database/x.parquet"));
    expect(uncovered).toMatchObject({
      storage: undefined,
      message: "no registered storage covers s3://bkt/database/x.parquet",
    });

    // A bucket-wide storage with a wrong secret: only what "data" does not cover goes to it.
    storages.put(spec({ name: "whole", scope: "bkt", secret: "wrong" }));
    expect(await storages.readText("s3://bkt/data/readme.txt")).toBe("read me");
    expect((await failure(storages.readText("s3://bkt/database/x.parquet"))).storage).toBe("whole");
  });
});

describe("the cache", () => {
  it("evicts the least recently used objects beyond its size limit", async () => {
    for (const key of ["e/1", "e/2", "e/3"]) await s3.putObject(BUCKET, key, "x".repeat(100));
    const { storages, requests } = registry({ maxCacheBytes: 250 });
    storages.put(spec());
    await storages.localPath("s3://bkt/e/1");
    await storages.localPath("s3://bkt/e/2");
    await storages.localPath("s3://bkt/e/1");
    await storages.localPath("s3://bkt/e/3");
    expect(["e/1", "e/2", "e/3"].map((key) => existsSync(cachedFile(key)))).toEqual([true, false, true]);
    expect(requests()).toBe(3);
  });

  it("deletes a storage's cached objects when it is unregistered", async () => {
    const { storages } = registry();
    storages.put(spec());
    await storages.localPath("s3://bkt/data/a.parquet");
    expect(storages.remove("minio")).toBe(true);
    expect(storages.remove("minio")).toBe(false);
    expect(storages.covers("s3://bkt/data/a.parquet")).toBe(false);
    await vi.waitFor(() => expect(existsSync(join(cacheDir, "minio"))).toBe(false));
  });

  it("drops the cache when a storage is registered again with other credentials, keeps it for the same spec", async () => {
    const { storages, requests } = registry();
    storages.put(spec());
    await storages.localPath("s3://bkt/data/a.parquet");
    storages.put(spec());
    await storages.localPath("s3://bkt/data/a.parquet");
    expect(requests()).toBe(1);

    storages.put(spec({ secret: "revoked" }));
    expect((await failure(storages.localPath("s3://bkt/data/a.parquet"))).code).toBe("SignatureDoesNotMatch");
    expect(existsSync(cachedFile("data/a.parquet"))).toBe(false);
    expect(JSON.stringify(storages.infos())).not.toContain("revoked");
  });

  it("reuses the cache of an earlier run for the same server only", async () => {
    const first = registry();
    first.storages.put(spec());
    await first.storages.localPath("s3://bkt/data/a.parquet");

    const restarted = registry();
    restarted.storages.put(spec());
    await restarted.storages.localPath("s3://bkt/data/a.parquet");
    expect(restarted.requests()).toBe(0);

    const moved = registry();
    moved.storages.put(spec({ endpoint: `127.0.0.1:${s3.port}` }));
    await moved.storages.localPath("s3://bkt/data/a.parquet");
    expect(moved.requests()).toBe(1);
  });
});
