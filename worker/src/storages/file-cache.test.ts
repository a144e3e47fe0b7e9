import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StorageError } from "./errors.js";
import { openFileCache, storageFolder, unsafeLocation, type Fill } from "./file-cache.js";
import type { S3Location } from "./scope.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "hugr-file-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fill writing `size` bytes per object and counting what it fetched. */
function counter(size = 100): { fill: Fill; fetched: string[] } {
  const fetched: string[] = [];
  return {
    fetched,
    fill: async (location, file) => {
      fetched.push(location.key);
      await writeFile(file, "x".repeat(size));
    },
  };
}

const at = (key: string): S3Location => ({ bucket: "b", key });
const cached = (key: string, storage = "s"): boolean => existsSync(join(dir, storage, "b", key));

describe("cache paths", () => {
  it("lays objects out as <dir>/<storage>/<bucket>/<key>", () => {
    const cache = openFileCache({ dir, maxBytes: 1000 });
    expect(cache.pathOf("minio", { bucket: "b", key: "data/x.parquet" })).toBe(
      join(dir, "minio", "b", "data", "x.parquet"),
    );
    expect(cache.pathOf("minio", { bucket: "b", key: "data/*.parquet" })).toBe(
      join(dir, "minio", "b", "data", "*.parquet"),
    );
  });

  it.each([
    ["minio", "minio"],
    ["..", "%2E."],
    [".tmp", "%2Etmp"],
    ["a/b", "a%2Fb"],
  ])("keeps storage %j in its own folder %j", (name, folder) => {
    expect(storageFolder(name)).toBe(folder);
  });

  it.each<[S3Location]>([
    [{ bucket: "b", key: "a/../../etc/passwd" }],
    [{ bucket: "b", key: "../x" }],
    [{ bucket: "b", key: "./x" }],
    [{ bucket: "b", key: "a//b" }],
    [{ bucket: "b", key: "folder/" }],
    [{ bucket: "b", key: "" }],
    [{ bucket: "..", key: "x" }],
    [{ bucket: "a/b", key: "x" }],
    [{ bucket: "b", key: "x\0y" }],
  ])("refuses %j", (location) => {
    expect(unsafeLocation(location)).toBeDefined();
    const cache = openFileCache({ dir, maxBytes: 1000 });
    expect(() => cache.pathOf("s", location)).toThrow(StorageError);
  });
});

describe("openFileCache", () => {
  it("fetches an object once and reuses it", async () => {
    const cache = openFileCache({ dir, maxBytes: 1000 });
    const { fill, fetched } = counter();
    const [first] = await cache.files("s", [at("data/a")], fill);
    const [second] = await cache.files("s", [at("data/a")], fill);
    expect(first).toBe(second);
    expect(fetched).toEqual(["data/a"]);
    expect(await readFile(first!, "utf8")).toHaveLength(100);
  });

  it("shares one download between calls for the same object", async () => {
    const cache = openFileCache({ dir, maxBytes: 1000 });
    const { fill, fetched } = counter();
    await Promise.all([cache.files("s", [at("a")], fill), cache.files("s", [at("a")], fill)]);
    expect(fetched).toEqual(["a"]);
  });

  it("evicts the least recently used objects beyond the size limit", async () => {
    const cache = openFileCache({ dir, maxBytes: 250 });
    const { fill, fetched } = counter(100);
    await cache.files("s", [at("a")], fill);
    await cache.files("s", [at("b")], fill);
    await cache.files("s", [at("a")], fill); // a is now more recent than b
    await cache.files("s", [at("c")], fill);
    expect([cached("a"), cached("b"), cached("c")]).toEqual([true, false, true]);
    expect(fetched).toEqual(["a", "b", "c"]);
  });

  it("keeps every object of one call, even beyond the limit, until a later call", async () => {
    const cache = openFileCache({ dir, maxBytes: 150 });
    const { fill } = counter(100);
    const paths = await cache.files("s", [at("a"), at("b"), at("c")], fill);
    expect(paths.every((path) => existsSync(path))).toBe(true);
    await cache.files("s", [at("d")], fill);
    expect([cached("a"), cached("b"), cached("c"), cached("d")]).toEqual([false, false, false, true]);
  });

  it("removes the temporary file when a fetch fails", async () => {
    const cache = openFileCache({ dir, maxBytes: 1000 });
    const failing: Fill = async (_location, file) => {
      await writeFile(file, "partial");
      throw new StorageError("storage 's': cannot read s3://b/a: HTTP 500", {
        storage: "s",
        url: "s3://b/a",
      });
    };
    await expect(cache.files("s", [at("a")], failing)).rejects.toThrow("HTTP 500");
    expect(await readdir(join(dir, ".tmp"))).toEqual([]);
    expect(cached("a")).toBe(false);
  });

  it("rebuilds its index from disk, oldest modification first", async () => {
    const first = openFileCache({ dir, maxBytes: 1000 });
    const { fill } = counter(100);
    await first.files("s", [at("old"), at("new"), at("mid")], fill);
    await utimes(join(dir, "s", "b", "old"), 1_000, 1_000);
    await utimes(join(dir, "s", "b", "mid"), 2_000, 2_000);
    await utimes(join(dir, "s", "b", "new"), 3_000, 3_000);

    const again = openFileCache({ dir, maxBytes: 250 });
    const second = counter(100);
    await again.files("s", [at("new")], second.fill);
    expect(second.fetched).toEqual([]);
    expect([cached("old"), cached("mid"), cached("new")]).toEqual([false, true, true]);
  });

  it("deletes a dropped storage's objects, and a download running meanwhile is not kept", async () => {
    const cache = openFileCache({ dir, maxBytes: 1000 });
    const { fill } = counter();
    await cache.files("s", [at("a")], fill);
    await cache.files("other", [at("a")], fill);
    let release: () => void = () => {};
    const slow: Fill = async (location, file) => {
      await new Promise<void>((resolve) => (release = resolve));
      await fill(location, file);
    };
    const running = cache.files("s", [at("slow")], slow);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await cache.drop("s");
    release();
    await expect(running).rejects.toThrow(
      "storage 's': was removed or registered again while reading s3://b/slow",
    );
    expect(existsSync(join(dir, "s"))).toBe(false);
    expect(cached("a", "other")).toBe(true);

    const again = counter();
    await cache.files("s", [at("a")], again.fill);
    expect(again.fetched).toEqual(["a"]);
  });

  it("keeps a storage's objects across restarts only for the same fingerprint", async () => {
    const { fill } = counter();
    const first = openFileCache({ dir, maxBytes: 1000 });
    await first.claim("s", "server-1");
    await first.files("s", [at("a")], fill);

    const same = openFileCache({ dir, maxBytes: 1000 });
    await same.claim("s", "server-1");
    expect(cached("a")).toBe(true);

    const other = openFileCache({ dir, maxBytes: 1000 });
    await other.claim("s", "server-2");
    expect(cached("a")).toBe(false);
    const refetch = counter();
    await other.files("s", [at("a")], refetch.fill);
    expect(refetch.fetched).toEqual(["a"]);
  });

  it("prunes the objects a listing no longer has", async () => {
    const cache = openFileCache({ dir, maxBytes: 1000 });
    const { fill } = counter();
    await cache.files("s", [at("data/a"), at("data/b"), at("logs/c")], fill);
    await cache.prune("s", "b", (key) => key.startsWith("data/") && key !== "data/a");
    expect([cached("data/a"), cached("data/b"), cached("logs/c")]).toEqual([true, false, true]);
  });
});
