/**
 * L2 on Redis through ioredis: one address is one server (with CACHE_L2_DATABASE), several are the
 * seeds of a Redis Cluster (database 0 only, as Redis Cluster has no other).
 *
 * Why not keyv + @keyv/redis here, although the issue lists them: @keyv/redis talks to Redis through
 * its own client (node-redis, @redis/client), not ioredis, so using it for values would open a
 * second set of connections to the same servers whose reconnection, command timeout and offline
 * queue the fault rules below would have to be set and tested twice. And Keyv's contract is
 * get/set/delete/clear of single values with a TTL kept inside a JSON wrapper of its own (our values
 * are already serialized: a second encoding per hit). What this level needs beyond that is exactly
 * what Keyv has no words for: a sorted set per tag written with the entry (tag invalidation), the
 * server's own remaining time (PTTL, for L1 fills and Cache-Control), pub/sub between nodes, and a
 * clear limited to our namespace on every Cluster master. Keyv fits a plain namespaced key-value
 * store with TTL: if a later feature needs only that (no tags, no cross-node invalidation), Keyv
 * with @keyv/redis is the right tool for it; this cache is not that feature.
 */
import { createRequire } from "node:module";
import type { Cluster, Redis, RedisOptions, Result } from "ioredis";
import { decodeEnvelope, encodeEnvelope } from "./envelope.js";
import { matchPrefix, type Namespace } from "./keys.js";
import { parseInvalidation, serverAddress, type L2Entry, type L2Events, type L2Store } from "./l2.js";

/** A command that does not answer within this is failed (a hung server must not stall queries). */
const COMMAND_TIMEOUT_MS = 500;
/** A connection attempt that does not complete within this is failed and retried. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnection delay: 100 ms more per attempt, at most 2 s; ioredis keeps trying forever. */
const retryStrategy = (attempt: number): number => Math.min(attempt * 100, 2_000);
/** Keys deleted per round when invalidating (bounds the commands in flight). */
const DELETE_BATCH = 1_000;
const DEFAULT_PORT = 6379;

/**
 * Adds a key to a tag's sorted set, scored by its expiry on the server's clock, drops members
 * already expired, and makes the set expire with its last member: the set never outgrows the live
 * entries it indexes.
 */
const TAG_ADD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1`;

/** Reads and deletes a tag's set in one step: a key added after it belongs to a new set. */
const TAG_POP = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return members`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    hugrTagAdd(tagKey: string, member: string, ttlMs: number): Result<number, Context>;
    hugrTagPop(tagKey: string): Result<string[], Context>;
  }
}

export interface RedisStoreOptions {
  addresses: readonly string[];
  database: number;
  username: string | undefined;
  password: string | undefined;
  ns: Namespace;
  events: L2Events;
}

type Client = Redis | Cluster;

/**
 * ioredis, loaded on the first Redis store: a node without L2 (the embedded default) should not
 * carry it (docs/benchmarks.md, "Embedded core database": the idle node's memory).
 */
let ioredis: typeof import("ioredis") | undefined;
function loadIoredis(): typeof import("ioredis") {
  ioredis ??= createRequire(import.meta.url)("ioredis") as typeof import("ioredis");
  return ioredis;
}

const isCluster = (client: Client): client is Cluster => client instanceof loadIoredis().Cluster;

export function createRedisStore(options: RedisStoreOptions): L2Store {
  const { ns, events } = options;
  const client = connect(options);
  for (const command of [
    { name: "hugrTagAdd", lua: TAG_ADD },
    { name: "hugrTagPop", lua: TAG_POP },
  ]) {
    client.defineCommand(command.name, { numberOfKeys: 1, lua: command.lua });
  }
  client.on("ready", () => events.connectionReady());
  client.on("error", (error: unknown) => events.connectionFailed(error));
  if (isCluster(client)) client.on("node error", (error: unknown) => events.connectionFailed(error));
  const subscriber = subscribe(client, ns.channel(), events);

  return {
    async get(key) {
      const valueKey = ns.value(key);
      const [bytes, ttlMs] = await Promise.all([client.getBuffer(valueKey), client.pttl(valueKey)]);
      if (bytes === null || ttlMs <= 0) return undefined;
      const envelope = decodeEnvelope(bytes);
      return envelope && ({ value: envelope.value, tags: envelope.tags, ttlMs } satisfies L2Entry);
    },
    async set(key, value, ttlMs, tags) {
      const valueKey = ns.value(key);
      const ttl = Math.max(1, Math.ceil(ttlMs));
      // Index first: a crash in between leaves a tag pointing at nothing, never an entry no tag finds.
      await Promise.all(tags.map((tag) => client.hugrTagAdd(ns.tag(tag), valueKey, ttl)));
      await client.set(valueKey, encodeEnvelope({ value, tags: [...tags] }), "PX", ttl);
    },
    async remainingTtlMs(key) {
      const ttlMs = await client.pttl(ns.value(key));
      return ttlMs > 0 ? ttlMs : undefined;
    },
    async invalidateTags(tags) {
      for (const tag of tags) {
        await unlinkEach(client, await client.hugrTagPop(ns.tag(tag)));
      }
    },
    async invalidateAll() {
      // SCAN runs per server: every master of a Cluster holds a share of the namespace.
      const servers = isCluster(client) ? client.nodes("master") : [client];
      for (const server of servers) {
        const stream = server.scanStream({ match: matchPrefix(ns.prefix), count: DELETE_BATCH });
        for await (const keys of stream as AsyncIterable<string[]>) await unlinkEach(server, keys);
      }
    },
    bus: {
      async publish(message) {
        await client.publish(ns.channel(), JSON.stringify(message));
      },
    },
    close() {
      subscriber.disconnect();
      client.disconnect();
      return Promise.resolve();
    },
  };
}

/** UNLINK key by key (Cluster refuses multi-key commands across slots); batched for the pipeline. */
async function unlinkEach(client: Client, keys: readonly string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    await Promise.all(keys.slice(start, start + DELETE_BATCH).map((key) => client.unlink(key)));
  }
}

/**
 * The command connection. Fail fast rather than wait: no offline queue (a command while
 * disconnected fails at once), no retry of a command after a reconnect, a short command timeout.
 * Reconnection is ioredis's, forever, with {@link retryStrategy}.
 */
function connect(options: RedisStoreOptions): Client {
  const common: RedisOptions = {
    username: options.username,
    password: options.password,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    connectionName: "hugr-cache",
  };
  const servers = options.addresses.map((address) => serverAddress(address, DEFAULT_PORT));
  const { Cluster, Redis } = loadIoredis();
  const [single] = servers;
  if (single !== undefined && servers.length === 1) {
    return new Redis({
      ...common,
      ...single,
      db: options.database,
      enableOfflineQueue: false,
      retryStrategy,
    });
  }
  return new Cluster(servers, {
    redisOptions: common,
    enableOfflineQueue: false,
    clusterRetryStrategy: retryStrategy,
    slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
  });
}

/**
 * The pub/sub connection, a duplicate of the command one that queues while disconnected and waits
 * for replies (a subscription must survive an outage) and resubscribes by itself after one. When it
 * comes back after a gap, messages may have been missed: the cache then drops its L1.
 */
function subscribe(client: Client, channel: string, events: L2Events): Client {
  const patient = { enableOfflineQueue: true, commandTimeout: undefined, maxRetriesPerRequest: null };
  const subscriber = isCluster(client)
    ? client.duplicate(undefined, {
        ...patient,
        redisOptions: { ...client.options.redisOptions, ...patient, connectionName: "hugr-cache-bus" },
      })
    : client.duplicate({ ...patient, connectionName: "hugr-cache-bus" });
  let connectedBefore = false;
  let lost = false;
  subscriber.on("ready", () => {
    if (lost) events.busResumed();
    connectedBefore = true;
    lost = false;
  });
  subscriber.on("close", () => {
    lost = connectedBefore;
  });
  // Its errors are the command connection's too, and counted there.
  subscriber.on("error", () => undefined);
  subscriber.on("message", (from: string, text: string) => {
    const message = from === channel ? parseInvalidation(text) : undefined;
    if (message !== undefined) events.busMessage(message);
  });
  subscriber.subscribe(channel).catch(() => undefined); // retried by autoResubscribe on reconnect
  return subscriber;
}
