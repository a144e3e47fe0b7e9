/**
 * Test harness: private Redis servers from Debian's redis-server, on loopback ports: one server with
 * `requirepass`, or a Redis Cluster of three masters (no replicas) made with `redis-cli --cluster
 * create`. No persistence (`save ""`, no AOF): a killed and restarted server comes back empty, as a
 * cache server restarting does. redis-cli gets the password through REDISCLI_AUTH, never argv.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./net.js";
import { HOST, startLocalServer, type LocalServer } from "./local-server.js";

const run = promisify(execFile);

/** A running Redis server. */
export interface RedisServer extends LocalServer {
  /** `127.0.0.1:<port>`, as CACHE_L2_ADDRESSES takes it. */
  address: string;
  password: string | undefined;
  /** Runs redis-cli against this server (authenticated) and returns its trimmed output. */
  cli(...args: string[]): Promise<string>;
}

/** A running three-master Redis Cluster. */
export interface RedisCluster {
  /** The masters' addresses, as CACHE_L2_ADDRESSES takes them. */
  addresses: string[];
  nodes: RedisServer[];
  password: string | undefined;
  /** Runs `redis-cli -c` (following redirections) against the first node. */
  cli(...args: string[]): Promise<string>;
  /** Stops every node and removes their files. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** `requirepass`; none when absent. */
  password?: string;
}

const CLUSTER_READY_TIMEOUT_MS = 30_000;

/** Starts one Redis server on a free loopback port. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  return startNode(options.password, false);
}

/** Starts three cluster-enabled servers and joins them into one cluster (every slot covered). */
export async function startRedisCluster(options: StartRedisOptions = {}): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
  };
  try {
    for (let i = 0; i < 3; i++) nodes.push(await startNode(options.password, true));
    const addresses = nodes.map((node) => node.address);
    const first = nodes[0]!;
    await redisCli(options.password, [
      "--cluster",
      "create",
      ...addresses,
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    await waitForCluster(nodes);
    return {
      addresses,
      nodes,
      password: options.password,
      cli: (...args) => redisCli(options.password, ["-c", "-h", HOST, "-p", String(first.port), ...args]),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function startNode(password: string | undefined, clusterEnabled: boolean): Promise<RedisServer> {
  // The cluster bus port is chosen at start too (Redis's default, port + 10000, may be taken).
  const busPort = clusterEnabled ? await freePort() : undefined;
  const server = await startLocalServer(
    {
      program: "redis-server",
      debianPackage: "redis-server",
      args: (port, dir) => [
        "--port",
        String(port),
        "--bind",
        HOST,
        "--dir",
        dir,
        "--logfile",
        join(dir, "server.log"),
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        ...(password === undefined ? [] : ["--requirepass", password, "--masterauth", password]),
        ...(busPort === undefined
          ? []
          : [
              "--cluster-enabled",
              "yes",
              "--cluster-config-file",
              join(dir, "nodes.conf"),
              "--cluster-port",
              String(busPort),
            ]),
      ],
      probe: async (port) => {
        const reply = await redisCli(password, ["-h", HOST, "-p", String(port), "ping"]);
        if (reply !== "PONG") throw new Error(`PING answered ${reply}`);
      },
    },
    "hugr-redis-",
  );
  return {
    ...server,
    address: `${HOST}:${server.port}`,
    password,
    cli: (...args) => redisCli(password, ["-h", HOST, "-p", String(server.port), ...args]),
  };
}

/** redis-cli with `args`, authenticated through REDISCLI_AUTH; its trimmed stdout. */
async function redisCli(password: string | undefined, args: string[]): Promise<string> {
  const { REDISCLI_AUTH: _inherited, ...rest } = process.env;
  const env = password === undefined ? rest : { ...rest, REDISCLI_AUTH: password };
  const { stdout } = await run("redis-cli", args, { env, timeout: 30_000 });
  return stdout.trim();
}

/** Waits until every node reports `cluster_state:ok` (the slots are assigned and agreed). */
async function waitForCluster(nodes: RedisServer[]): Promise<void> {
  const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
  for (;;) {
    const infos = await Promise.all(nodes.map((node) => node.cli("cluster", "info")));
    if (infos.every((info) => info.includes("cluster_state:ok"))) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the Redis Cluster is not ok after ${CLUSTER_READY_TIMEOUT_MS} ms:\n${infos.join("\n")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
