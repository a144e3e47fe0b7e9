import { readFile } from "node:fs/promises";
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "@hugr/common";
import type { StorageInfo, StorageSpec } from "@hugr/protocol";
import { StorageError } from "./errors.js";
import { openFileCache, type Fill } from "./file-cache.js";
import { compileGlob, hasGlob } from "./glob.js";
import type { ObjectStore } from "./object-store.js";
import { createS3Client, type S3Client } from "./s3-client.js";
import { parseS3Url, parseScope, pickStorage, s3Url, scopeCovers, type S3Location } from "./scope.js";

/**
 * The object storages this node can read from (S3 and compatible), with their credentials held in
 * memory only, and the objects they cover (see {@link ObjectStore}), fetched into a local cache.
 */
export interface StorageRegistry extends ObjectStore {
  /**
   * Registers a storage, or replaces the one with that name. A replacement that differs in
   * anything (credentials included) drops the storage's cached objects; the same spec again keeps them.
   */
  put(spec: StorageSpec): void;
  /** False when no storage has that name. Its cached objects are deleted in the background. */
  remove(name: string): boolean;
  get(name: string): StorageSpec | undefined;
  names(): string[];
  /** hugr's registered_storages rows for this node: no credentials. */
  infos(): StorageInfo[];
}

export interface StorageRegistryOptions {
  /** Folder of the object cache (STORAGE_CACHE_DIR). */
  cacheDir: string;
  /** Size limit of the object cache in bytes (STORAGE_CACHE_MAX_SIZE). */
  maxCacheBytes: number;
  logger?: Logger;
  /** Passed to the S3 clients; tests use it to reach virtual-host names the machine cannot resolve. */
  fetch?: typeof fetch;
}

interface Registered {
  spec: StorageSpec;
  client: S3Client;
}

const MASK = "***";

export function createStorageRegistry(options: StorageRegistryOptions): StorageRegistry {
  const storages = new Map<string, Registered>();
  const cache = openFileCache({
    dir: options.cacheDir,
    maxBytes: options.maxCacheBytes,
    logger: options.logger,
  });
  const clientOptions = options.fetch ? { fetch: options.fetch } : {};

  /** The storage serving an `s3://` URL, or a StorageError naming the URL. */
  const resolve = (url: string): { storage: Registered; location: S3Location } => {
    const location = parseS3Url(url);
    const storage = location && pickStorage(specs(storages), location);
    if (!location || !storage) {
      throw new StorageError(`no registered storage covers ${url}`, { storage: undefined, url });
    }
    return { storage: storages.get(storage.name)!, location };
  };

  const localPath = async (url: string): Promise<string> => {
    const { storage, location } = resolve(url);
    const { spec, client } = storage;
    const fill: Fill = (object, file) => client.download(object, file);
    // url_compatibility (DuckDB's s3_url_compatibility_mode) reads `*` and `?` in keys literally.
    if (spec.urlCompatibility || !hasGlob(location.key)) {
      const [path] = await cache.files(spec.name, [location], fill);
      return path!;
    }
    const glob = compileGlob(location.key);
    const scope = parseScope(spec.scope);
    const keys = (await client.listObjects(location.bucket, glob.prefix))
      .map((object) => object.key)
      .filter((key) => glob.matches(key) && !key.endsWith("/") && scopeCovers(scope, { ...location, key }));
    if (keys.length === 0) {
      throw new StorageError(`storage '${spec.name}': no objects match ${url}`, { storage: spec.name, url });
    }
    // The local glob would also match cached copies of objects deleted from the bucket since.
    const listed = new Set(keys);
    await cache.prune(spec.name, location.bucket, (key) => glob.matches(key) && !listed.has(key));
    await cache.files(
      spec.name,
      keys.map((key) => ({ bucket: location.bucket, key })),
      fill,
    );
    return cache.pathOf(spec.name, location);
  };

  return {
    put(spec) {
      if (!spec.name) throw new Error("a storage needs a name");
      const previous = storages.get(spec.name);
      if (previous && isDeepStrictEqual(previous.spec, spec)) return;
      const copy = { ...spec };
      storages.set(spec.name, { spec: copy, client: createS3Client(copy, clientOptions) });
      if (previous) void cache.drop(spec.name);
      void cache.claim(spec.name, fingerprint(spec));
    },
    remove(name) {
      if (!storages.delete(name)) return false;
      void cache.drop(name);
      return true;
    },
    get: (name) => storages.get(name)?.spec,
    names: () => [...storages.keys()].sort(),
    infos: () =>
      specs(storages)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((spec) => ({
          type: spec.type,
          name: spec.name,
          scope: [spec.scope],
          parameters: describeParameters(spec),
        })),

    covers(url) {
      const location = parseS3Url(url);
      return location !== undefined && pickStorage(specs(storages), location) !== undefined;
    },
    localPath,
    async readText(url) {
      const { storage, location } = resolve(url);
      const { name, urlCompatibility } = storage.spec;
      if (!urlCompatibility && hasGlob(location.key)) {
        throw new StorageError(`storage '${name}': ${url} names several objects, text needs one`, {
          storage: name,
          url,
        });
      }
      return readFile(await localPath(url), "utf8");
    },
    async list(prefixUrl) {
      const { storage, location } = resolve(prefixUrl);
      const scope = parseScope(storage.spec.scope);
      // Keys ending in "/" are folder markers, not files.
      return (await storage.client.listObjects(location.bucket, location.key))
        .map((object) => ({ bucket: location.bucket, key: object.key }))
        .filter((object) => !object.key.endsWith("/") && scopeCovers(scope, object))
        .map(s3Url)
        .sort();
    },
  };
}

function specs(storages: Map<string, Registered>): StorageSpec[] {
  return [...storages.values()].map((registered) => registered.spec);
}

/**
 * What identifies the server a storage's objects came from, written beside its cached objects so
 * that a restarted node reuses them only for the same server. Credentials are left out: they never
 * reach the disk, so a restart does not notice a credentials-only change.
 */
function fingerprint(spec: StorageSpec): string {
  return JSON.stringify({
    type: spec.type,
    endpoint: spec.endpoint,
    region: spec.region,
    use_ssl: spec.useSsl,
    url_style: spec.urlStyle,
    account_id: spec.accountId,
  });
}

/** The parameters as hugr shows them, credentials replaced by "***". */
function describeParameters(spec: StorageSpec): string {
  return JSON.stringify({
    endpoint: spec.endpoint,
    region: spec.region,
    use_ssl: spec.useSsl,
    url_style: spec.urlStyle,
    url_compatibility: spec.urlCompatibility,
    kms_key_id: spec.kmsKeyId,
    account_id: spec.accountId,
    key_id: MASK,
    secret: MASK,
  });
}
