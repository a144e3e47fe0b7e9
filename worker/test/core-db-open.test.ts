/**
 * openCoreDb waits for a PostgreSQL that is not up yet (compose, Kubernetes): the real server behind
 * a loopback port that starts accepting only after the first attempt failed.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCoreDb } from "@hugr/coredb";
import { freePort } from "./harness/net.js";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";

let pg: PostgresInstance;

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => pg?.stop());

/** Starts forwarding `port` to the PostgreSQL server; resolves once it accepts connections. */
async function forward(port: number, sockets: Set<Socket>): Promise<Server> {
  const proxy = createServer((client) => {
    const server = createConnection(pg.port, "127.0.0.1");
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(port, "127.0.0.1", resolve));
  return proxy;
}

describe("openCoreDb", () => {
  it("retries until a PostgreSQL that was still starting answers, then migrates it", async () => {
    const port = await freePort();
    const url = pg.url.replace(`:${pg.port}/`, `:${port}/`);
    const sockets = new Set<Socket>();
    const attempts: number[] = [];
    let proxy: Promise<Server> | undefined;
    const logger = {
      info: () => undefined,
      warn: (details: object) => {
        attempts.push((details as { attempt: number }).attempt);
        // The database "comes up" after the first failed attempt.
        proxy ??= forward(port, sockets);
      },
    };

    const db = await openCoreDb(
      { kind: "postgres", url, readOnly: false },
      { logger, connectTimeoutMs: 30_000 },
    );
    try {
      expect(attempts[0]).toBe(1);
      const roles = await db.query<{ name: string }>("SELECT name FROM roles ORDER BY name");
      expect(roles.map((r) => r.name)).toEqual(["admin", "public", "readonly"]);
    } finally {
      await db.close();
      const server = await proxy;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
    }
  });
});
