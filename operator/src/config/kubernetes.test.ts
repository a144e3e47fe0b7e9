import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { parseOperatorConfig } from "./kubernetes.js";

const base = { POD_NAMESPACE: "hugr-system", POD_NAME: "hugr-operator-5d8f-x2" };

describe("parseOperatorConfig", () => {
  it("applies the defaults", () => {
    expect(parseOperatorConfig(base)).toEqual({
      bind: { host: "", port: 14000 },
      logLevel: "info",
      namespace: "hugr-system",
      podName: "hugr-operator-5d8f-x2",
      identity: expect.stringMatching(/^hugr-operator-5d8f-x2_[0-9a-f-]{36}$/),
      managementUrl: "http://hugr-operator.hugr-system.svc:14000",
      watchNamespaces: [],
      leaderElection: {
        enabled: true,
        leaseName: "hugr-operator",
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
      maxConcurrentReconciles: 4,
      resyncMs: 600_000,
      timeoutMs: 30_000,
      checkIntervalMs: 60_000,
      removeAfterMs: 300_000,
    });
  });

  it("reads every variable", () => {
    const config = parseOperatorConfig({
      ...base,
      BIND: ":14001",
      OPERATOR_MANAGEMENT_URL: "http://ops.example:14001",
      WATCH_NAMESPACES: "team-a, team-b",
      LEADER_ELECT: "false",
      LEADER_ELECTION_LEASE_NAME: "hugr-op",
      LEADER_ELECTION_LEASE_DURATION: "30s",
      LEADER_ELECTION_RENEW_DEADLINE: "20s",
      LEADER_ELECTION_RETRY_PERIOD: "5s",
      MAX_CONCURRENT_RECONCILES: "8",
      RESYNC_PERIOD: "1h",
      TIMEOUT: "5s",
      CHECK: "10s",
      NODE_REMOVE_AFTER: "1m",
    });
    expect(config).toMatchObject({
      bind: { port: 14001 },
      managementUrl: "http://ops.example:14001",
      watchNamespaces: ["team-a", "team-b"],
      leaderElection: {
        enabled: false,
        leaseName: "hugr-op",
        leaseDurationMs: 30_000,
        renewDeadlineMs: 20_000,
        retryPeriodMs: 5_000,
      },
      maxConcurrentReconciles: 8,
      resyncMs: 3_600_000,
      timeoutMs: 5_000,
      checkIntervalMs: 10_000,
      removeAfterMs: 60_000,
    });
  });

  it("gives every process its own Lease identity, prefixed by the pod name", () => {
    const first = parseOperatorConfig(base);
    const second = parseOperatorConfig(base);
    expect(first.podName).toBe("hugr-operator-5d8f-x2");
    expect(second.podName).toBe(first.podName);
    expect(first.identity.startsWith("hugr-operator-5d8f-x2_")).toBe(true);
    expect(second.identity.startsWith("hugr-operator-5d8f-x2_")).toBe(true);
    expect(second.identity).not.toBe(first.identity);
  });

  it("names the pod after the host outside a pod", () => {
    const config = parseOperatorConfig({ POD_NAMESPACE: "hugr-system" });
    expect(config.podName).toBe(hostname());
    expect(config.identity.startsWith(`${hostname()}_`)).toBe(true);
  });

  it.each([
    ["POD_NAMESPACE", {}],
    ["POD_NAMESPACE", { POD_NAMESPACE: "Not_A_Namespace" }],
    ["WATCH_NAMESPACES", { ...base, WATCH_NAMESPACES: "ok,Bad_One" }],
    ["LEADER_ELECTION_LEASE_NAME", { ...base, LEADER_ELECTION_LEASE_NAME: "has spaces" }],
    ["LEADER_ELECTION_RENEW_DEADLINE", { ...base, LEADER_ELECTION_RENEW_DEADLINE: "20s" }],
    ["OPERATOR_MANAGEMENT_URL", { ...base, OPERATOR_MANAGEMENT_URL: "hugr-operator:14000" }],
    ["MAX_CONCURRENT_RECONCILES", { ...base, MAX_CONCURRENT_RECONCILES: "0" }],
    ["RESYNC_PERIOD", { ...base, RESYNC_PERIOD: "often" }],
  ])("names %s when it is wrong", (variable, env) => {
    expect(() => parseOperatorConfig(env)).toThrow(expect.objectContaining({ variable }));
  });
});
