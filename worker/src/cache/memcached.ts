/**
 * L2 on Memcached through memjs: every address is a server and a key lives on one of them (memjs's
 * hash of the key modulo the server count); SASL username and password when set.
 *
 * Why memjs: it is the most used Memcached client for Node, kept by MemCachier, with no
 * dependencies; it speaks the binary protocol with per-operation expiry, several servers, SASL,
 * operation and connection timeouts and a promise API, which is all this level needs. The other
 * candidates are `memcached` (text protocol, callback-only, last substantive work years ago) and
 * `memcache-client` (fine, but less used and no SASL).
 *
 * Memcached can neither list keys nor keep sets, so tags and "drop this cluster's keys" work by
 * versions instead of deletion: every tag has a version (a random token at `…:t:<tag>`), and so has
 * the cluster as a whole (`…:all`). An entry records the versions current when it was written; a
 * read compares them with the current ones and treats any difference as a miss. Invalidating a tag
 * or everything is one write of a new token; the stale entries are never read again and leave with
 * their TTL or Memcached's own LRU. A version evicted by that LRU reads as absent, which matches no
 * entry: a miss, never a stale hit. Memcached also cannot tell a key's remaining time, so an entry
 * carries its expiry time (the writer's clock).
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type { Logger } from "@hugr/common";
import type { Client } from "memjs";
import { decodeEnvelope, encodeEnvelope } from "./envelope.js";
import { memcachedKey, type Namespace } from "./keys.js";
import { serverAddress, type L2Entry, type L2Store } from "./l2.js";

/** Seconds an operation may take before it fails (memjs's unit), and a connection attempt. */
const TIMEOUT_S = 0.5;
const CONNECT_TIMEOUT_S = 1;
/** Memcached's default largest item (-I 1m): larger values are not sent (they would be refused). */
const MAX_ITEM_BYTES = 1024 * 1024;
/** Beyond 30 days Memcached reads an expiry as a Unix time rather than seconds from now. */
const MAX_RELATIVE_EXPIRY_S = 30 * 24 * 60 * 60;
const DEFAULT_PORT = 11211;

export interface MemcachedStoreOptions {
  addresses: readonly string[];
  username: string | undefined;
  password: string | undefined;
  ns: Namespace;
  now: () => number;
  logger: Logger;
}

export function createMemcachedStore(options: MemcachedStoreOptions): L2Store {
  const { ns, now, logger } = options;
  // Loaded here, not at start: a node without L2 (the embedded default) need not carry memjs.
  const { Client, Server } = createRequire(import.meta.url)("memjs") as typeof import("memjs");
  const servers = options.addresses.map((address) => {
    const { host, port } = serverAddress(address, DEFAULT_PORT);
    return new Server(host, port, options.username, options.password, {
      timeout: TIMEOUT_S,
      conntimeout: CONNECT_TIMEOUT_S,
      keepAlive: true,
    });
  });
  // retries: 1 is a single attempt (memjs counts the first); no failover to another server, whose
  // copy of the key would be a different entry.
  const client = new Client(servers, {
    retries: 1,
    failover: false,
    expires: 0,
    logger: { log: (...args: unknown[]) => logger.debug({ memjs: args.map(String).join(" ") }, "memjs") },
  });
  const key = (name: string): string => memcachedKey(name, ns.prefix);

  const versions = (names: readonly string[], create: boolean): Promise<(string | undefined)[]> =>
    Promise.all(names.map((name) => currentVersion(client, key(name), create)));
  const versionNames = (tags: readonly string[]): string[] => [ns.all(), ...tags.map((tag) => ns.tag(tag))];

  const read = async (name: string): Promise<L2Entry | undefined> => {
    const { value: bytes } = await client.get(key(ns.value(name)));
    const envelope = bytes === null ? undefined : decodeEnvelope(bytes);
    if (envelope?.expiresAt === undefined || envelope.versions === undefined) return undefined;
    const ttlMs = envelope.expiresAt - now();
    if (ttlMs <= 0) return undefined;
    const current = await versions(versionNames(envelope.tags), false);
    const written = envelope.versions;
    const fresh = current.length === written.length && current.every((version, i) => version === written[i]);
    return fresh ? { value: envelope.value, tags: envelope.tags, ttlMs } : undefined;
  };

  return {
    get: read,
    async set(name, value, ttlMs, tags) {
      const current = await versions(versionNames(tags), true);
      const bytes = encodeEnvelope({
        value,
        tags: [...tags],
        expiresAt: now() + ttlMs,
        versions: current.map((version) => version ?? ""), // "" matches no version: never read back
      });
      if (bytes.byteLength > MAX_ITEM_BYTES) {
        logger.debug({ bytes: bytes.byteLength }, "value larger than a Memcached item: kept in L1 only");
        return;
      }
      await client.set(key(ns.value(name)), bytes, { expires: expiry(ttlMs) });
    },
    async remainingTtlMs(name) {
      return (await read(name))?.ttlMs;
    },
    async invalidateTags(tags) {
      await Promise.all(tags.map((tag) => client.set(key(ns.tag(tag)), token(), { expires: 0 })));
    },
    async invalidateAll() {
      await client.set(key(ns.all()), token(), { expires: 0 });
    },
    close() {
      client.close();
      return Promise.resolve();
    },
  };
}

/**
 * The version stored at `versionKey`. With `create`, an absent one is added (add: only if still
 * absent, so that two writers agree on one) and the winner's returned.
 */
async function currentVersion(
  client: Client,
  versionKey: string,
  create: boolean,
): Promise<string | undefined> {
  const { value } = await client.get(versionKey);
  if (value !== null) return value.toString();
  if (!create) return undefined;
  const mine = token();
  if (await client.add(versionKey, mine, { expires: 0 })) return mine;
  return (await client.get(versionKey)).value?.toString();
}

function token(): string {
  return randomBytes(9).toString("base64url");
}

/** Memcached's expiry for `ttlMs`: whole seconds from now, or a Unix time beyond 30 days. */
function expiry(ttlMs: number): number {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return seconds <= MAX_RELATIVE_EXPIRY_S ? seconds : Math.floor(Date.now() / 1000) + seconds;
}
