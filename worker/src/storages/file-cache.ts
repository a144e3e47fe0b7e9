import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { Logger } from "@hugr/common";
import { StorageError } from "./errors.js";
import { s3Url, type S3Location } from "./scope.js";

export interface FileCacheOptions {
  /** Root folder; objects live in `<dir>/<storage>/<bucket>/<key>`. */
  dir: string;
  /** Least recently used objects are deleted while the cached objects take more bytes than this. */
  maxBytes: number;
  logger?: Logger | undefined;
}

/** Writes the object into `file`, a temporary file the cache then moves into place. */
export type Fill = (location: S3Location, file: string) => Promise<void>;

/**
 * The node's local copies of storage objects. A cached object is reused as it is (no ETag check)
 * until it is evicted or its storage is dropped (unregistered or registered again with other
 * parameters); the index of cached files is kept in memory, rebuilt from disk at start with the
 * files' modification times as their last use.
 */
export interface FileCache {
  /**
   * The local path of an object (or of a glob pattern of keys). Keys that could leave the cache
   * folder (`..`, `.` or empty segments) are refused with a StorageError.
   */
  pathOf(storage: string, location: S3Location): string;
  /**
   * The local paths of these objects, fetching those not cached with `fill`. They are pinned during
   * the call: eviction never removes them, so one call bigger than the limit leaves the cache over
   * it (logged) until a later call evicts them.
   */
  files(storage: string, objects: readonly S3Location[], fill: Fill): Promise<string[]>;
  /** Deletes the storage's cached objects in `bucket` whose keys `stale` accepts (gone from the bucket). */
  prune(storage: string, bucket: string, stale: (key: string) => boolean): Promise<void>;
  /**
   * Deletes every cached object of the storage. Downloads running meanwhile are not kept, and the
   * storage's next files() waits for the deletion. Settles when done; failures are logged, not thrown.
   */
  drop(storage: string): Promise<void>;
  /**
   * Keeps the storage's folder from an earlier run only if it was filled from the same server
   * (`fingerprint`, written beside the objects; never credentials), and drops it otherwise.
   */
  claim(storage: string, fingerprint: string): Promise<void>;
}

const TEMP_DIR = ".tmp";
const MARKER = ".storage.json";
/** Objects of one glob fetched at the same time. */
const CONCURRENCY = 4;

export function openFileCache(options: FileCacheOptions): FileCache {
  const { dir, maxBytes, logger } = options;
  const tempDir = join(dir, TEMP_DIR);
  /** Path to size in bytes, least recently used first (a Map keeps insertion order). */
  const index = new Map<string, number>();
  let total = 0;
  /** Paths in use by running calls, with the number of calls using each. */
  const pins = new Map<string, number>();
  const downloads = new Map<string, Promise<void>>();
  /** Bumped by a drop, so that downloads started before it do not put their files back. */
  const generations = new Map<string, number>();
  /** Per storage: its pending deletion, which its next calls wait for. */
  const queues = new Map<string, Promise<void>>();

  const add = (path: string, size: number): void => {
    forget(path);
    index.set(path, size);
    total += size;
  };
  const forget = (path: string): void => {
    const size = index.get(path);
    if (size === undefined) return;
    index.delete(path);
    total -= size;
  };
  const forgetUnder = (folder: string): void => {
    for (const path of index.keys()) if (path.startsWith(folder + sep)) forget(path);
    for (const path of downloads.keys()) if (path.startsWith(folder + sep)) downloads.delete(path);
  };
  const generation = (storage: string): number => generations.get(storage) ?? 0;
  const storageDir = (storage: string): string => join(dir, storageFolder(storage));

  /** Marks a cached path as just used; false when it is gone (deleted by hand, evicted meanwhile). */
  const touch = async (path: string): Promise<boolean> => {
    const now = new Date();
    const exists = await utimes(path, now, now).then(
      () => true,
      () => false,
    );
    const size = index.get(path);
    if (!exists || size === undefined) return false;
    add(path, size);
    return true;
  };

  const evict = async (): Promise<void> => {
    const victims: string[] = [];
    for (const [path] of index) {
      if (total <= maxBytes) break;
      if (pins.has(path)) continue;
      forget(path);
      victims.push(path);
    }
    await removeFiles(victims, logger);
    if (total > maxBytes) {
      logger?.warn(
        { bytes: total, maxBytes },
        "the object cache is over its size limit: the objects in use are larger",
      );
    }
  };

  const download = async (storage: string, location: S3Location, path: string, fill: Fill): Promise<void> => {
    const started = generation(storage);
    const temp = join(tempDir, randomUUID());
    const dropped = (): StorageError =>
      new StorageError(
        `storage '${storage}': was removed or registered again while reading ${s3Url(location)}`,
        {
          storage,
          url: s3Url(location),
        },
      );
    try {
      await mkdir(tempDir, { recursive: true });
      await fill(location, temp);
      const { size } = await stat(temp);
      if (generation(storage) !== started) throw dropped();
      await mkdir(dirname(path), { recursive: true });
      await rename(temp, path);
      if (generation(storage) !== started) {
        await rm(path, { force: true });
        throw dropped();
      }
      add(path, size);
    } catch (error) {
      if (error instanceof StorageError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new StorageError(
        `storage '${storage}': cannot cache ${s3Url(location)}: ${reason}`,
        { storage, url: s3Url(location) },
        { cause: error },
      );
    } finally {
      await rm(temp, { force: true });
    }
  };

  /** Reuses the cached file, joins a download of the same path already running, or downloads. */
  const ensure = async (storage: string, location: S3Location, path: string, fill: Fill): Promise<void> => {
    if (index.has(path) && (await touch(path))) return;
    let running = downloads.get(path);
    if (!running) {
      const started = download(storage, location, path, fill).finally(() => {
        if (downloads.get(path) === started) downloads.delete(path);
      });
      downloads.set(path, started);
      running = started;
    }
    await running;
  };

  const load = async (): Promise<void> => {
    await rm(tempDir, { recursive: true, force: true });
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    });
    // Objects are at least three levels down (<storage>/<bucket>/<key>); markers are two.
    const paths = entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .filter((path) => relative(dir, path).split(sep).length >= 3);
    const files = await Promise.all(paths.map(async (path) => ({ path, stats: await stat(path) })));
    for (const { path, stats } of files.sort((a, b) => a.stats.mtimeMs - b.stats.mtimeMs))
      add(path, stats.size);
    await evict();
  };
  const ready = load().catch((error: unknown) =>
    logger?.warn({ err: error, dir }, "cannot read the object cache folder: starting with an empty index"),
  );

  const enqueue = (storage: string, work: () => Promise<void>): Promise<void> => {
    const next = (queues.get(storage) ?? ready)
      .then(work)
      .catch((error: unknown) =>
        logger?.warn({ err: error, storage }, "cannot delete a storage's cached objects"),
      );
    queues.set(storage, next);
    return next;
  };

  const pathOf = (storage: string, location: S3Location): string => {
    const problem = unsafeLocation(location);
    if (problem) {
      throw new StorageError(`storage '${storage}': cannot cache ${s3Url(location)}: ${problem}`, {
        storage,
        url: s3Url(location),
      });
    }
    return join(storageDir(storage), location.bucket, ...location.key.split("/"));
  };

  return {
    pathOf,

    async files(storage, objects, fill) {
      const paths = objects.map((object) => pathOf(storage, object));
      await (queues.get(storage) ?? ready);
      for (const path of paths) pins.set(path, (pins.get(path) ?? 0) + 1);
      try {
        await eachLimit(objects.length, CONCURRENCY, (i) => ensure(storage, objects[i]!, paths[i]!, fill));
        await evict();
        return paths;
      } finally {
        for (const path of paths) unpin(pins, path);
      }
    },

    async prune(storage, bucket, stale) {
      await (queues.get(storage) ?? ready);
      const root = join(storageDir(storage), bucket);
      const victims = [...index.keys()].filter(
        (path) =>
          path.startsWith(root + sep) && !pins.has(path) && stale(relative(root, path).split(sep).join("/")),
      );
      victims.forEach(forget);
      await removeFiles(victims, logger);
    },

    drop(storage) {
      const folder = storageDir(storage);
      generations.set(storage, generation(storage) + 1);
      return enqueue(storage, async () => {
        forgetUnder(folder);
        await rm(folder, { recursive: true, force: true });
      });
    },

    claim(storage, fingerprint) {
      const folder = storageDir(storage);
      return enqueue(storage, async () => {
        const marker = join(folder, MARKER);
        if ((await readFile(marker, "utf8").catch(() => undefined)) === fingerprint) return;
        generations.set(storage, generation(storage) + 1);
        forgetUnder(folder);
        await rm(folder, { recursive: true, force: true });
        await mkdir(folder, { recursive: true });
        await writeFile(marker, fingerprint);
      });
    },
  };
}

/**
 * The storage's folder name: its name, percent-encoded so that no name (`..`, `a/b`, `.tmp`) can
 * reach another folder; most names are unchanged.
 */
export function storageFolder(storage: string): string {
  if (!storage) throw new Error("a storage needs a name");
  return encodeURIComponent(storage).replace(/^\./u, "%2E");
}

/** Why this bucket and key cannot be a path under the cache folder, or undefined when they can. */
export function unsafeLocation(location: S3Location): string | undefined {
  if (!location.bucket || location.bucket.startsWith(".") || /[/\\\0]/u.test(location.bucket)) {
    return "the bucket name is not a valid path segment";
  }
  const bad = location.key
    .split("/")
    .find((segment) => segment === "" || segment === "." || segment === "..");
  if (bad !== undefined || location.key.includes("\0")) {
    return "the key has an empty, '.' or '..' path segment, or a NUL character";
  }
  return undefined;
}

function unpin(pins: Map<string, number>, path: string): void {
  const count = (pins.get(path) ?? 1) - 1;
  if (count > 0) pins.set(path, count);
  else pins.delete(path);
}

async function removeFiles(paths: readonly string[], logger: Logger | undefined): Promise<void> {
  await Promise.all(
    paths.map((path) =>
      rm(path, { force: true }).catch((error: unknown) =>
        logger?.warn({ err: error, path }, "cannot delete a cached object"),
      ),
    ),
  );
}

/** Runs `run(0..count-1)`, at most `limit` at a time; stops starting new ones after a failure. */
async function eachLimit(count: number, limit: number, run: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await run(i).catch((error: unknown) => {
        next = count;
        throw error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
