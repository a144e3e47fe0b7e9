import { describe, expect, it } from "vitest";
import { DATA_SOURCE_NAME, type HugrDataSource } from "../../api/v1alpha1/index.js";
import { claimedBy, claimOrder, hugrNameOf, namesakes, resourceNameFor } from "./names.js";

/** RFC 1123 label: what a resource name (and `<name>-dsn`'s start) must be. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function source(
  name: string,
  options: { hugrName?: string; created?: string; cluster?: string; namespace?: string } = {},
): HugrDataSource {
  return {
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrDataSource",
    metadata: {
      name,
      namespace: options.namespace ?? "hugr",
      creationTimestamp: options.created ?? "2026-12-01T10:00:00Z",
    },
    spec: {
      clusterRef: { name: options.cluster ?? "demo" },
      type: "postgres",
      path: "postgres://db/x",
      ...(options.hugrName ? { name: options.hugrName } : {}),
    },
  };
}

describe("hugrNameOf", () => {
  it("is spec.name when set, else metadata.name", () => {
    expect(hugrNameOf(source("analytics"))).toBe("analytics");
    expect(hugrNameOf(source("web-analytics-1a2b3c4d", { hugrName: "web_analytics" }))).toBe("web_analytics");
  });
});

describe("resourceNameFor", () => {
  it("keeps a hugr name that is a valid resource name, so existing resources keep their names", () => {
    for (const name of ["analytics", "a", "web2", "x".repeat(63)]) expect(resourceNameFor(name)).toBe(name);
  });

  it.each([
    ["web_analytics", /^web-analytics-[0-9a-f]{8}$/],
    ["Analytics", /^analytics-[0-9a-f]{8}$/],
    ["_private", /^private-[0-9a-f]{8}$/],
    ["a__b_", /^a-b-[0-9a-f]{8}$/],
    ["__", /^ds-[0-9a-f]{8}$/],
    ["x".repeat(64), /^x{54}-[0-9a-f]{8}$/],
  ])("turns %s into a valid resource name with a hash", (hugrName, expected) => {
    const name = resourceNameFor(hugrName);
    expect(name).toMatch(expected);
    expect(name).toMatch(DNS1123_LABEL);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it("is deterministic", () => {
    expect(resourceNameFor("web_analytics")).toBe(resourceNameFor("web_analytics"));
  });

  it("never gives two hugr names one resource name, even when their readable forms agree", () => {
    const names = [
      "web_analytics",
      "Web_Analytics",
      "web__analytics",
      "WEB_ANALYTICS",
      "_web_analytics",
      "webanalytics",
      `${"a".repeat(60)}_1`,
      `${"a".repeat(60)}_2`,
    ];
    const resources = names.map(resourceNameFor);
    expect(new Set(resources).size).toBe(names.length);
    // A hugr name kept as it is never looks like a made one.
    expect(resources.filter((r) => new RegExp(DATA_SOURCE_NAME).test(r))).toEqual(["webanalytics"]);
  });
});

describe("claims on one hugr name", () => {
  const first = source("web-analytics-1a2b3c4d", {
    hugrName: "web_analytics",
    created: "2026-12-01T10:00:00Z",
  });
  const second = source("webanalytics", { hugrName: "web_analytics", created: "2026-12-01T11:00:00Z" });
  // Created in the same second as `second`: the name decides.
  const third = source("webstats", { hugrName: "web_analytics", created: "2026-12-01T11:00:00Z" });
  const elsewhere = source("other", { hugrName: "web_analytics", cluster: "other" });
  const otherNamespace = source("again", { hugrName: "web_analytics", namespace: "team-b" });
  const unrelated = source("analytics");
  const all = [third, unrelated, second, first, elsewhere, otherNamespace];

  it("counts resources of the same namespace and cluster with the same hugr name", () => {
    expect(namesakes(second, all).map((s) => s.metadata.name)).toEqual([
      "webstats",
      "web-analytics-1a2b3c4d",
    ]);
    expect(namesakes(unrelated, all)).toEqual([]);
    expect(namesakes(elsewhere, all)).toEqual([]);
  });

  it("orders claims by creation time, then by name", () => {
    expect([third, second, first].sort(claimOrder).map((s) => s.metadata.name)).toEqual([
      "web-analytics-1a2b3c4d",
      "webanalytics",
      "webstats",
    ]);
  });

  it("gives the name to the oldest: the others learn who holds it", () => {
    expect(claimedBy(first, all)).toBeUndefined();
    expect(claimedBy(second, all)?.metadata.name).toBe("web-analytics-1a2b3c4d");
    expect(claimedBy(third, all)?.metadata.name).toBe("web-analytics-1a2b3c4d");
    // Once the holder is gone, the next in line serves it.
    const without = all.filter((s) => s !== first);
    expect(claimedBy(second, without)).toBeUndefined();
    expect(claimedBy(third, without)?.metadata.name).toBe("webanalytics");
    expect(claimedBy(elsewhere, all)).toBeUndefined();
  });
});
