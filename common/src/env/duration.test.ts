import { describe, expect, it } from "vitest";
import { checkDuration, parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["+0", 0],
    ["0s", 0],
    ["30s", 30_000],
    ["1m", 60_000],
    ["5m30s", 330_000],
    ["1h", 3_600_000],
    ["2h45m", 9_900_000],
    ["1h0m0s", 3_600_000],
    ["250ms", 250],
    ["1.5s", 1_500],
    ["1.1s", 1_100],
    [".5s", 500],
    ["1.s", 1_000],
    ["0.25h", 900_000],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["1500μs", 1.5],
    ["1000000ns", 1],
    ["+5s", 5_000],
    ["1m1m", 120_000],
  ])("parses %j as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("truncates below one nanosecond as Go does", () => {
    expect(parseDuration("1.9ns")).toBe(0.000001);
  });

  it("accepts Go's largest duration and refuses one nanosecond more", () => {
    expect(parseDuration("9223372036854775807ns")).toBe(9223372036854.775);
    expect(() => parseDuration("9223372036854775808ns")).toThrow(/too large/);
    expect(() => parseDuration("3000000h")).toThrow(/too large/);
  });

  it.each([
    ["", "it is empty"],
    ["10", "missing unit"],
    ["00", "missing unit"],
    ["1.5", "missing unit"],
    ["1x", 'unknown unit "x"'],
    ["1 s", 'unknown unit " s"'],
    ["1S", 'unknown unit "S"'],
    ["1sec", 'unknown unit "sec"'],
    ["1e3s", 'unknown unit "e"'],
    ["-1s", "negative durations are not allowed"],
    ["-0", "negative durations are not allowed"],
    ["s", "expected a number"],
    ["+", "expected a number"],
    [".s", "expected a number"],
    ["1s5", "missing unit"],
    [" 1s", "expected a number"],
  ])("refuses %j (%s)", (text, fragment) => {
    expect(() => parseDuration(text)).toThrow(`invalid duration "${text}": `);
    expect(() => parseDuration(text)).toThrow(fragment);
  });

  it("lists the valid units when the unit is unknown", () => {
    expect(() => parseDuration("5d")).toThrow("valid units: ns, us, µs, ms, s, m, h");
  });
});

describe("checkDuration", () => {
  it("reports problems without throwing", () => {
    expect(checkDuration("30s")).toEqual({ ok: true, ms: 30_000 });
    const result = checkDuration("10");
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.problem).toContain("missing unit");
  });
});
