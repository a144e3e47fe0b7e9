import { describe, expect, it } from "vitest";
import { createL2Guard, safeMessage } from "./guard.js";
import { captureLogs, testMetrics } from "./test-fixtures.js";

function guard() {
  const logs = captureLogs();
  const metrics = testMetrics();
  let recovered = 0;
  const l2 = createL2Guard({
    backend: "redis",
    target: "redis at 127.0.0.1:6379",
    logger: logs.logger,
    metrics: metrics.metrics,
    retryAfterMs: 3_600_000, // never within a test: only connectionReady or a success ends an outage
    secrets: ["s3cret"],
    waitForConnection: false,
    onRecovered: () => recovered++,
  });
  const levels = (level: string) => logs.records().filter((record) => record.level === level);
  return { l2, logs, metrics, levels, recovered: () => recovered };
}

const failing = (message: string) => () => Promise.reject(new Error(message));

describe("L2 guard", () => {
  it("turns a failure into the fallback, counts it and warns once per outage", async () => {
    const { l2, metrics, levels } = guard();
    expect(await l2.run("get", failing("connect ECONNREFUSED"), "fallback")).toBe("fallback");
    l2.connectionFailed(new Error("connect ECONNREFUSED"));
    l2.connectionFailed(new Error("connect ECONNREFUSED"));
    expect(levels("warn")).toHaveLength(1);
    expect(levels("warn")[0]).toMatchObject({ l2: "redis at 127.0.0.1:6379", err: "connect ECONNREFUSED" });
    expect(await metrics.value("hugr_cache_l2_errors_total", { backend: "redis" })).toBe(3);
  });

  it("skips L2 silently until a client that reports its connection first does", async () => {
    const logs = captureLogs();
    const metrics = testMetrics();
    const l2 = createL2Guard({
      backend: "redis",
      target: "redis at 127.0.0.1:6379",
      logger: logs.logger,
      metrics: metrics.metrics,
      retryAfterMs: 3_600_000,
      secrets: [],
      waitForConnection: true,
      onRecovered: () => undefined,
    });
    expect(await l2.run("get", async () => "hit", "skipped")).toBe("skipped");
    l2.connectionReady();
    expect(await l2.run("get", async () => "hit", "skipped")).toBe("hit");
    expect(logs.records()).toEqual([]);
    expect(await metrics.value("hugr_cache_l2_errors_total")).toBe(0);
  });

  it("skips L2 while it is down, until the client reports it ready", async () => {
    const { l2, levels, recovered } = guard();
    await l2.run("get", failing("timed out"), undefined);
    let calls = 0;
    const counted = async () => {
      calls++;
      return "hit";
    };
    expect(await l2.run("get", counted, "skipped")).toBe("skipped");
    expect(calls).toBe(0);
    l2.connectionReady();
    expect(recovered()).toBe(1);
    expect(await l2.run("get", counted, "skipped")).toBe("hit");
    expect(levels("info")).toHaveLength(1);
    // A second outage warns again.
    await l2.run("set", failing("Connection is closed."), undefined);
    expect(levels("warn")).toHaveLength(2);
  });

  it("says in an error that the credentials were refused, without the password", async () => {
    const { l2, logs, levels } = guard();
    l2.connectionFailed(new Error("connect ECONNREFUSED"));
    l2.connectionFailed(new Error("WRONGPASS invalid username-password pair or user is disabled."));
    l2.connectionFailed(new Error("WRONGPASS invalid username-password pair or user is disabled."));
    expect(levels("error")).toHaveLength(1);
    expect(String(levels("error")[0]?.msg)).toContain("CACHE_L2_PASSWORD");
    expect(logs.text()).not.toContain("s3cret");
  });

  it("never logs a secret a server echoes, nor an error's attached command", () => {
    const error = Object.assign(new Error("ERR AUTH s3cret called without any password configured"), {
      command: { name: "auth", args: ["s3cret"] },
    });
    expect(safeMessage(error, ["s3cret"])).toBe("ERR AUTH [redacted] called without any password configured");
  });
});
