/**
 * Test harness: a loopback TCP proxy in front of a server, able to make the connections it carries go
 * silent, as a dead load balancer or a half-open connection does: {@link TcpProxy.freeze} stops
 * forwarding bytes on every open connection without closing it, while connections opened afterwards
 * work normally. TLS passes through untouched (the proxy never looks at the bytes).
 */
import { once } from "node:events";
import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";

/** A running proxy; see {@link startTcpProxy}. */
export interface TcpProxy {
  /** The loopback port the proxy listens on. */
  port: number;
  /**
   * Stops forwarding on the connections open now, in both directions, leaving them open: their peers
   * see silence, never a close or a reset.
   */
  freeze(): void;
  /** Connections open now (frozen or not). */
  connections(): number;
  /** Connections that are open and frozen. */
  frozenConnections(): number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Where to forward to. */
  targetPort: number;
  /** Default 127.0.0.1. */
  targetHost?: string;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
}

const HOST = "127.0.0.1";

/** Starts a proxy on a free loopback port forwarding to `targetHost:targetPort`. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: options.targetHost ?? HOST, port: options.targetPort });
    const pair: Pair = { client, upstream, frozen: false };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    // A close on either side closes the other (forwarding a close is not forwarding bytes).
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  server.listen(0, HOST);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    freeze: () => {
      for (const pair of pairs) freezePair(pair);
    },
    connections: () => pairs.size,
    frozenConnections: () => [...pairs].filter((p) => p.frozen).length,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
      await closed;
    },
  };
}

/** Unpipes and pauses both sockets: bytes stay in kernel buffers, the peers wait forever. */
function freezePair(pair: Pair): void {
  pair.frozen = true;
  pair.client.unpipe(pair.upstream);
  pair.upstream.unpipe(pair.client);
  pair.client.pause();
  pair.upstream.pause();
}
