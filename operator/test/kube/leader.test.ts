/**
 * Lease-based leader election between candidates in one process, on a real kube-apiserver: exactly one
 * leads, a release hands over within a retry period, and a leader that stops renewing (a crash) is
 * replaced once its lease has expired, not before.
 */
import { Writable } from "node:stream";
import type { V1Lease } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../../e2e/harness/processes.js";
import { createKubeClients, loadKubeConfig, type KubeClients } from "../../src/kube/client.js";
import { createLeaderElector, type LeaderElector } from "../../src/kube/leader.js";
import { startEnvtest, type Envtest } from "../harness/envtest.js";

const NAMESPACE = "leader-election";
const LEASE_DURATION_MS = 4_000;
const RENEW_DEADLINE_MS = 3_000;
const RETRY_PERIOD_MS = 500;
/** Request latency and scheduling on a loaded machine. */
const SLACK_MS = 2_500;

let env: Envtest;
let clients: KubeClients;
const electors: LeaderElector[] = [];

beforeAll(async () => {
  env = await startEnvtest();
  clients = createKubeClients(loadKubeConfig({ KUBECONFIG: env.kubeconfigPath }));
  await clients.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
});

afterAll(async () => {
  for (const elector of electors) await elector.stop();
  await env?.stop();
});

/** One candidate, with what its callbacks and log said. */
interface Candidate {
  elector: LeaderElector;
  started: number;
  stopped: number;
  log: string[];
}

function candidate(lease: string, identity: string): Candidate {
  const log: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      done();
    },
  });
  const c: Candidate = { elector: undefined as unknown as LeaderElector, started: 0, stopped: 0, log };
  c.elector = createLeaderElector(clients.coordination, {
    namespace: NAMESPACE,
    name: lease,
    identity,
    leaseDurationMs: LEASE_DURATION_MS,
    renewDeadlineMs: RENEW_DEADLINE_MS,
    retryPeriodMs: RETRY_PERIOD_MS,
    onStartedLeading: () => (c.started += 1),
    onStoppedLeading: () => (c.stopped += 1),
    logger: pino({ level: "debug" }, sink),
  });
  electors.push(c.elector);
  return c;
}

function standingBy(c: Candidate): boolean {
  return c.log.includes("lease held by another candidate; standing by");
}

async function readLease(name: string): Promise<V1Lease> {
  return clients.coordination.readNamespacedLease({ namespace: NAMESPACE, name });
}

describe("leader election", () => {
  it("lets exactly one of two candidates lead, and the other stand by", async () => {
    const a = candidate("race", "a");
    const b = candidate("race", "b");
    a.elector.start();
    b.elector.start();
    await eventually(
      async () => (a.elector.isLeader() || b.elector.isLeader()) && (standingBy(a) || standingBy(b)),
      10_000,
      "one leader and one standby",
    );
    expect([a.elector.isLeader(), b.elector.isLeader()].filter(Boolean)).toHaveLength(1);
    expect(a.started + b.started).toBe(1);
    const leader = a.elector.isLeader() ? "a" : "b";
    const lease = await readLease("race");
    expect(lease.spec?.holderIdentity).toBe(leader);
    expect(lease.spec?.leaseDurationSeconds).toBe(LEASE_DURATION_MS / 1000);
  });

  it("hands over within a retry period on release, and after the lease expires on a crash", async () => {
    const a = candidate("handover", "a");
    a.elector.start();
    await eventually(async () => a.elector.isLeader(), 10_000, "a to lead");
    const b = candidate("handover", "b");
    b.elector.start();
    await eventually(async () => standingBy(b), 10_000, "b to stand by");
    expect(b.elector.isLeader()).toBe(false);
    expect((await readLease("handover")).spec?.leaseTransitions).toBe(0);

    const released = Date.now();
    await a.elector.release();
    expect(a.elector.isLeader()).toBe(false);
    expect(a.stopped).toBe(1);
    await eventually(
      async () => b.elector.isLeader(),
      RETRY_PERIOD_MS + SLACK_MS,
      "b to lead after the release",
    );
    expect(Date.now() - released).toBeLessThanOrEqual(RETRY_PERIOD_MS + SLACK_MS);
    const afterRelease = await readLease("handover");
    expect(afterRelease.spec?.holderIdentity).toBe("b");
    expect(afterRelease.spec?.leaseTransitions).toBe(1);

    const c = candidate("handover", "c");
    c.elector.start();
    await eventually(async () => standingBy(c), 10_000, "c to stand by");
    const crashed = Date.now();
    await b.elector.stop(); // stops renewing and leaves the lease as it is, as a killed process would
    expect(b.stopped).toBe(1);
    await eventually(
      async () => c.elector.isLeader(),
      LEASE_DURATION_MS + RETRY_PERIOD_MS + SLACK_MS,
      "c to lead once b's lease expired",
    );
    // b renewed at most a retry period before it stopped, so its lease was valid until then + duration.
    expect(Date.now() - crashed).toBeGreaterThanOrEqual(LEASE_DURATION_MS - RETRY_PERIOD_MS);
    const afterCrash = await readLease("handover");
    expect(afterCrash.spec?.holderIdentity).toBe("c");
    expect(afterCrash.spec?.leaseTransitions).toBe(2);
    expect([a.started, b.started, c.started]).toEqual([1, 1, 1]);
  });

  it("steps down when another holder took the lease over", async () => {
    const a = candidate("deadline", "a");
    a.elector.start();
    await eventually(async () => a.elector.isLeader(), 10_000, "a to lead");
    // Another writer takes the lease over behind a's back: a's next renewals see it and a steps down.
    const lease = await readLease("deadline");
    await clients.coordination.replaceNamespacedLease({
      namespace: NAMESPACE,
      name: "deadline",
      body: { ...lease, spec: { ...lease.spec, holderIdentity: "intruder" } },
    });
    await eventually(async () => !a.elector.isLeader() && a.stopped === 1, 10_000, "a to step down");
    expect(a.log).toContain("lost leadership");
  });

  it("gives up leadership when its renewals fail for the renew deadline", async () => {
    const a = candidate("outage", "a");
    a.elector.start();
    await eventually(async () => a.elector.isLeader(), 10_000, "a to lead");
    await env.stopApiserver();
    try {
      await eventually(
        async () => !a.elector.isLeader() && a.stopped === 1,
        RENEW_DEADLINE_MS + RETRY_PERIOD_MS + SLACK_MS,
        "a to step down while the apiserver is away",
      );
    } finally {
      await env.startApiserver();
    }
    expect(a.log).toContain("lost leadership");
  });
});
