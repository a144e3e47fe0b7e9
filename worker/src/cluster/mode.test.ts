import { describe, expect, it } from "vitest";
import { createLogger } from "@hugr/common";
import type { CoreDb } from "@hugr/coredb";
import type { ManagementClient } from "@hugr/protocol";
import type { DataSourceRuntime } from "../data-sources/index.js";
import { clusterDataSourceWriter, createClusterMode } from "./mode.js";

describe("createClusterMode", () => {
  it("is pending until a configuration says who owns the data sources, and follows every later one", () => {
    const mode = createClusterMode();
    expect(mode.current()).toBe("pending");
    mode.update({ managed: "kubernetes" });
    expect(mode.current()).toBe("kubernetes");
    mode.update({});
    expect(mode.current()).toBe("standalone");
  });
});

describe("clusterDataSourceWriter", () => {
  // The pending writer touches nothing: these stand-ins are never called.
  const unused = {} as DataSourceRuntime & ManagementClient;
  const writerFor = (readOnly: boolean) => {
    const mode = createClusterMode();
    const db = { readOnly } as CoreDb;
    const writer = clusterDataSourceWriter({
      mode,
      db,
      runtime: unused,
      management: unused,
      logger: createLogger("silent"),
    });
    return { mode, writer };
  };

  it("refuses writes before the first configuration, the read-only refusal first", async () => {
    const { writer } = writerFor(false);
    await expect(writer().insert({ name: "a", type: "duckdb", path: "/a" })).rejects.toMatchObject({
      code: "UNAVAILABLE",
    });
    await expect(writer().delete(["a"])).rejects.toMatchObject({ code: "UNAVAILABLE" });
    const readOnly = writerFor(true);
    await expect(readOnly.writer().update(["a"], { description: "x" })).rejects.toMatchObject({
      code: "CORE_DB_READ_ONLY",
    });
  });

  it("chooses the writer of the mode at each call", () => {
    const { mode, writer } = writerFor(false);
    const pending = writer();
    mode.update({ managed: "kubernetes" });
    const managed = writer();
    mode.update({});
    const direct = writer();
    expect(new Set([pending, managed, direct]).size).toBe(3);
    mode.update({ managed: "kubernetes" });
    expect(writer()).toBe(managed);
  });
});
