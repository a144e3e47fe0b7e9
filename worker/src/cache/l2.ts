import { splitHostPort } from "@hugr/common";
import type { CacheInvalidation, CacheValue } from "./types.js";

/** An entry read from L2: its value, its tags (for L1) and the time it has left there. */
export interface L2Entry {
  value: CacheValue;
  tags: string[];
  ttlMs: number;
}

/**
 * The shared level, whichever the backend. Every method may reject (unreachable, timed out, refused):
 * the cache runs them through its L2Guard, which turns failures into misses and no-ops.
 */
export interface L2Store {
  get(key: string): Promise<L2Entry | undefined>;
  set(key: string, value: CacheValue, ttlMs: number, tags: readonly string[]): Promise<void>;
  remainingTtlMs(key: string): Promise<number | undefined>;
  invalidateTags(tags: readonly string[]): Promise<void>;
  /** Drops every key under the cluster's namespace, and nothing else. */
  invalidateAll(): Promise<void>;
  /** Present when the backend carries invalidations between nodes itself (Redis pub/sub). */
  bus?: {
    publish(message: CacheInvalidation): Promise<void>;
  };
  close(): Promise<void>;
}

/** How a store reports its connection to the cache (the L2Guard). */
export interface L2Events {
  connectionFailed(error: unknown): void;
  connectionReady(): void;
  /** An invalidation received on the bus (possibly this node's own). */
  busMessage(message: CacheInvalidation): void;
  /** The bus connection came back after a gap: messages may have been missed. */
  busResumed(): void;
}

/** Parses a bus message, or undefined when it is not one (foreign publisher, other version). */
export function parseInvalidation(text: string): CacheInvalidation | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { origin, scope, tags } = parsed as Record<string, unknown>;
  if (typeof origin !== "string") return undefined;
  if (scope === "all") return { origin, scope };
  const validTags = Array.isArray(tags) && tags.every((tag) => typeof tag === "string");
  return scope === "tags" && validTags ? { origin, scope, tags } : undefined;
}

/** "host:port" (IPv6 in brackets) as host and port; CACHE_L2_ADDRESSES were checked at start. */
export function serverAddress(address: string, defaultPort: number): { host: string; port: number } {
  const parsed = splitHostPort(address);
  if (typeof parsed === "string") return { host: address, port: defaultPort };
  return { host: parsed.host || "127.0.0.1", port: parsed.port || defaultPort };
}
