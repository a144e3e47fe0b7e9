import { createHash } from "node:crypto";

/**
 * Where a cluster's cache lives in a shared L2: everything under `hugr:<clusterPrefix>:`.
 * Values at `…:v:<key>`, tags at `…:t:<tag>` (a Redis sorted set of keys, or a Memcached version),
 * Memcached's cluster-wide version at `…:all`, Redis's invalidation channel `…:invalidations`.
 */
export interface Namespace {
  /** `hugr:<clusterPrefix>:` */
  prefix: string;
  value(key: string): string;
  tag(tag: string): string;
  all(): string;
  channel(): string;
}

export function namespace(clusterPrefix: string): Namespace {
  if (clusterPrefix === "") throw new Error("the cache's clusterPrefix must not be empty");
  const prefix = `hugr:${clusterPrefix}:`;
  return {
    prefix,
    value: (key) => `${prefix}v:${key}`,
    tag: (tag) => `${prefix}t:${tag}`,
    all: () => `${prefix}all`,
    channel: () => `${prefix}invalidations`,
  };
}

/** A SCAN MATCH pattern for every key starting with `prefix` (glob characters in it escaped). */
export function matchPrefix(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

/** Memcached's limit on a key's length, in bytes. */
const MEMCACHED_MAX_KEY_BYTES = 250;

/**
 * `key` as Memcached accepts it: unchanged when it is at most 250 bytes with no whitespace nor
 * control characters, else `<prefix>h:` and its SHA-256 (base64url).
 */
export function memcachedKey(key: string, prefix: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what Memcached refuses
  const safe = Buffer.byteLength(key) <= MEMCACHED_MAX_KEY_BYTES && !/[\s\u0000-\u001f\u007f]/u.test(key);
  return safe ? key : `${prefix}h:${createHash("sha256").update(key).digest("base64url")}`;
}
