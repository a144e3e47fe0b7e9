import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@hugr/common";
import { insertDataSource, openCoreDb, type CoreDb, type DataSource } from "@hugr/coredb";
import { createDataSourceRuntime, type DataSourceLoader } from "./runtime.js";

const logger = createLogger("silent");
let db: CoreDb;

beforeAll(async () => {
  db = await openCoreDb({ kind: "pglite", dir: "memory://", readOnly: false }, { logger });
  for (const [name, disabled] of [
    ["good", false],
    ["broken", false],
    ["off", true],
  ] as const) {
    await insertDataSource(db, { name, type: "postgres", path: `postgres://h/${name}`, disabled });
  }
});
afterAll(async () => db?.close());

/** A loader that records calls and fails for sources named "broken". */
function recordingLoader(): DataSourceLoader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    load: async (source: DataSource) => {
      calls.push(`load ${source.name}`);
      if (source.name === "broken") throw new Error("catalog does not parse");
    },
    unload: async (name: string) => {
      calls.push(`unload ${name}`);
    },
  };
}

describe("data source runtime", () => {
  it("loads every enabled source at start and keeps failures as status 'error' with the reason", async () => {
    const loader = recordingLoader();
    const runtime = createDataSourceRuntime({ db, logger, loader });
    await runtime.loadAllEnabled();
    expect(loader.calls.sort()).toEqual(["load broken", "load good"]);
    expect(runtime.attached()).toEqual(["good"]);
    expect(await runtime.status("broken")).toBe("error");
    expect(runtime.lastError("broken")).toBe("catalog does not parse");
    expect(await runtime.status("off")).toBe("detached");
  });

  it("reports a failed load as DATA_SOURCE_LOAD_FAILED and a later success clears the error", async () => {
    const loader = recordingLoader();
    const runtime = createDataSourceRuntime({ db, logger, loader });
    await expect(runtime.load("broken")).rejects.toMatchObject({ code: "DATA_SOURCE_LOAD_FAILED" });
    await runtime.load("good");
    await runtime.unload("good");
    await runtime.unload("good");
    expect(loader.calls).toEqual(["load broken", "load good", "unload good"]);
    expect(await runtime.status("good")).toBe("detached");
  });

  it("runs operations one at a time, in the order they were asked for", async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstBlocked = new Promise<void>((resolve) => (releaseFirst = resolve));
    const loader: DataSourceLoader = {
      load: async (source) => {
        order.push(`start ${source.name}`);
        if (order.length === 1) await firstBlocked;
        order.push(`end ${source.name}`);
      },
      unload: async (name) => {
        order.push(`unload ${name}`);
      },
    };
    const runtime = createDataSourceRuntime({ db, logger, loader });
    const first = runtime.load("good");
    const second = runtime.unload("good");
    await new Promise((resolve) => setTimeout(resolve, 20));
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(["start good", "end good", "unload good"]);
  });

  it("names unknown and disabled sources in its errors", async () => {
    const runtime = createDataSourceRuntime({ db, logger, loader: recordingLoader() });
    await expect(runtime.load("missing")).rejects.toMatchObject({ code: "DATA_SOURCE_NOT_FOUND" });
    await expect(runtime.status("missing")).rejects.toThrow("data source 'missing' not found");
    await expect(runtime.load("off")).rejects.toMatchObject({ code: "DATA_SOURCE_DISABLED" });
  });
});
