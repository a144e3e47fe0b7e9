import { openCoreDb, type CoreDb } from "@hugr/coredb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetClusterNodes } from "./registry.js";

const silent = { info: () => undefined, warn: () => undefined };
let db: CoreDb;

beforeAll(async () => {
  db = await openCoreDb({ kind: "pglite", dir: "memory://", readOnly: false }, { logger: silent });
}, 60_000);
afterAll(async () => {
  await db?.close();
});

const register = (cluster: string, name: string): Promise<unknown> =>
  db.query("INSERT INTO cluster_nodes (cluster, name, url, version) VALUES ($1, $2, $3, '1.0.0')", [
    cluster,
    name,
    `http://${name}:15000`,
  ]);

const rows = async (): Promise<string[]> =>
  (
    await db.query<{ cluster: string; name: string }>(
      "SELECT cluster, name FROM cluster_nodes ORDER BY cluster, name",
    )
  ).map((r) => `${r.cluster}:${r.name}`);

describe("forgetClusterNodes", () => {
  it("deletes the rows of one cluster, and only those, naming them", async () => {
    await register("hugr/demo", "demo-1");
    await register("hugr/demo", "demo-0");
    await register("hugr/other", "other-0");
    await register("", "worker-1");
    expect(await forgetClusterNodes(db, "hugr/demo")).toEqual(["demo-0", "demo-1"]);
    expect(await rows()).toEqual([":worker-1", "hugr/other:other-0"]);
  });

  it("is a no-op for a cluster without rows", async () => {
    expect(await forgetClusterNodes(db, "hugr/gone")).toEqual([]);
    expect(await rows()).toEqual([":worker-1", "hugr/other:other-0"]);
  });

  it("refuses a read-only core database", async () => {
    const readOnly = { ...db, readOnly: true };
    await expect(forgetClusterNodes(readOnly, "hugr/other")).rejects.toMatchObject({
      code: "CORE_DB_READ_ONLY",
    });
    expect(await rows()).toEqual([":worker-1", "hugr/other:other-0"]);
  });
});
