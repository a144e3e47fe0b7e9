import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { serve } from "@hono/node-server";

/** How long answers say "Connection: close" before idle connections are closed. */
const CONNECTION_CLOSE_GRACE_MS = 1000;

/** A bound HTTP server with a draining close. */
export interface Listening {
  port: number;
  /** A URL this machine can use to reach the server (0.0.0.0 and :: become 127.0.0.1). */
  url: string;
  /** host:port as bound. */
  address: string;
  /**
   * Drains: for a short while every answer carries `Connection: close`, then the server stops
   * accepting connections and waits for in-flight requests; after `drainTimeoutMs` the remaining
   * connections are cut (and `onTimeout` says so).
   */
  close(drainTimeoutMs: number, onTimeout?: () => void): Promise<void>;
}

/** Serves `fetch` on `bind` (BIND's host and port; an empty host is every interface) once bound. */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  bind: { host: string; port: number },
): Promise<Listening> {
  const server = serve({ fetch, port: bind.port, hostname: bind.host || undefined });
  let draining = false;
  // Runs before the handler answers, which merges its own headers with this one.
  server.on("request", (_request, response: { setHeader(name: string, value: string): void }) => {
    if (draining) response.setHeader("connection", "close");
  });
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
      // Closing an idle kept-alive connection races a request a client sends on it at that moment
      // (the client reads ECONNRESET). So first every answer says "Connection: close": a client
      // that keeps sending closes its connection itself after the answer, and reconnects elsewhere.
      draining = true;
      await sleep(Math.min(CONNECTION_CLOSE_GRACE_MS, drainTimeoutMs));
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
