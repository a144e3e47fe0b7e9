import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { openCoreDb } from "./open.js";

/** A loopback port nobody listens on: bound, read, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("openCoreDb waiting for PostgreSQL", () => {
  it("retries with a growing delay, logging each attempt, then fails naming the database", async () => {
    const port = await closedPort();
    const warnings: { details: Record<string, unknown>; message: string }[] = [];
    const logger = {
      info: () => undefined,
      warn: (details: object, message: string) =>
        warnings.push({ details: details as Record<string, unknown>, message }),
    };
    const url = `postgres://hugr:pg-password-7c1@127.0.0.1:${port}/hugr_core`;

    const error: unknown = await openCoreDb(
      { kind: "postgres", url, readOnly: false },
      { logger, connectTimeoutMs: 3_000 },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("the core database (postgres) is not reachable");
    expect(String((error as Error).cause)).toContain("ECONNREFUSED");
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.map((w) => w.message)).toEqual(
      warnings.map(() => "core database not reachable yet, retrying"),
    );
    expect(warnings.map((w) => w.details["attempt"])).toEqual(warnings.map((_, i) => i + 1));
    // 500 ms, doubling (the last delay may be cut short by the time left).
    expect(warnings[0]?.details["retryInMs"]).toBe(500);
    expect(JSON.stringify(warnings)).not.toContain("pg-password-7c1");
  });
});
