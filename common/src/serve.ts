import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

/** A bound HTTP server with a draining close. */
export interface Listening {
  port: number;
  /** A URL this machine can use to reach the server (0.0.0.0 and :: become 127.0.0.1). */
  url: string;
  /** host:port as bound. */
  address: string;
  /**
   * Stops accepting connections and waits for in-flight requests; after `drainTimeoutMs` the
   * remaining connections are cut (and `onTimeout` says so).
   */
  close(drainTimeoutMs: number, onTimeout?: () => void): Promise<void>;
}

/** Serves `fetch` on `bind` (BIND's host and port; an empty host is every interface) once bound. */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  bind: { host: string; port: number },
): Promise<Listening> {
  const server = serve({ fetch, port: bind.port, hostname: bind.host || undefined });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  const local = host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host;
  return {
    port: bound.port,
    url: `http://${local}:${bound.port}`,
    address: `${host}:${bound.port}`,
    async close(drainTimeoutMs, onTimeout) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const timer = setTimeout(() => {
        onTimeout?.();
        if ("closeAllConnections" in server) server.closeAllConnections();
      }, drainTimeoutMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
