/**
 * Test harness: a private memcached (Debian's package) on a loopback port, TCP only, 64 MB. As root
 * it runs as `nobody`, since memcached refuses root without -u.
 */
import { connect } from "node:net";
import { HOST, startLocalServer, type LocalServer } from "./local-server.js";

/** A running memcached. */
export interface MemcachedServer extends LocalServer {
  /** `127.0.0.1:<port>`, as CACHE_L2_ADDRESSES takes it. */
  address: string;
}

const PROBE_TIMEOUT_MS = 1_000;

export async function startMemcached(): Promise<MemcachedServer> {
  const runAs = process.getuid?.() === 0 ? ["-u", "nobody"] : [];
  const server = await startLocalServer(
    {
      program: "memcached",
      debianPackage: "memcached",
      args: (port) => ["-l", HOST, "-p", String(port), "-U", "0", "-m", "64", ...runAs],
      probe: version,
    },
    "hugr-memcached-",
  );
  return { ...server, address: `${HOST}:${server.port}` };
}

/** Resolves when the server on `port` answers `version` (text protocol). */
function version(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    let reply = "";
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => fail(new Error("no answer to version")));
    socket.once("error", fail);
    socket.once("connect", () => socket.write("version\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (!reply.includes("\r\n")) return;
      socket.destroy();
      if (reply.startsWith("VERSION")) resolve();
      else reject(new Error(`version answered ${reply.trim()}`));
    });
  });
}
