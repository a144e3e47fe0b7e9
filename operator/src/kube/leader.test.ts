import {
  HttpMethod,
  RequestContext,
  type ConfigurationOptions,
  type CoordinationV1Api,
  type V1Lease,
} from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createLeaderElector,
  decideLeaderAction,
  leaseExpired,
  type LeaderAction,
  type LeaderDecisionInput,
} from "./leader.js";

const NOW = 1_000_000;
const base: LeaderDecisionInput = {
  lease: undefined,
  now: NOW,
  identity: "me",
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  leading: false,
};

describe("decideLeaderAction", () => {
  it.each<[string, Partial<LeaderDecisionInput>, LeaderAction]>([
    ["no lease: create it", {}, "create"],
    ["released lease: acquire", { lease: { holderIdentity: "", renewTimeMs: NOW } }, "acquire"],
    ["lease without a holder field: acquire", { lease: { renewTimeMs: NOW } }, "acquire"],
    [
      "another holder, renewed within the duration: wait",
      { lease: { holderIdentity: "other", renewTimeMs: NOW - 14_000 } },
      "wait",
    ],
    [
      "another holder, not renewed for longer than the duration: acquire",
      { lease: { holderIdentity: "other", renewTimeMs: NOW - 15_001 } },
      "acquire",
    ],
    [
      "the holder's own, longer duration counts",
      { lease: { holderIdentity: "other", renewTimeMs: NOW - 20_000, leaseDurationMs: 30_000 } },
      "wait",
    ],
    ["another holder that never renewed: acquire", { lease: { holderIdentity: "other" } }, "acquire"],
    [
      "our lease while standing by (this process campaigning again after stepping down): renew",
      { lease: { holderIdentity: "me", renewTimeMs: NOW - 60_000 } },
      "renew",
    ],
    [
      "leading, our lease: renew",
      { leading: true, lastRenewAt: NOW - 2_000, lease: { holderIdentity: "me", renewTimeMs: NOW - 2_000 } },
      "renew",
    ],
    [
      "leading, but another took the lease: lost",
      { leading: true, lastRenewAt: NOW - 2_000, lease: { holderIdentity: "other", renewTimeMs: NOW } },
      "lost",
    ],
    [
      "leading, but the lease was released by someone: lost",
      { leading: true, lastRenewAt: NOW - 2_000, lease: { holderIdentity: "", renewTimeMs: NOW } },
      "lost",
    ],
    [
      "leading, renewals failing for longer than the renew deadline: lost",
      {
        leading: true,
        lastRenewAt: NOW - 10_001,
        lease: { holderIdentity: "me", renewTimeMs: NOW - 10_001 },
      },
      "lost",
    ],
    [
      "leading, renewals failing within the renew deadline: renew",
      { leading: true, lastRenewAt: NOW - 9_000, lease: { holderIdentity: "me", renewTimeMs: NOW - 9_000 } },
      "renew",
    ],
    [
      "leading and the lease was deleted: create it again",
      { leading: true, lastRenewAt: NOW - 2_000 },
      "create",
    ],
  ])("%s", (_name, input, expected) => {
    expect(decideLeaderAction({ ...base, ...input })).toBe(expected);
  });
});

describe("leaseExpired", () => {
  it("is expired strictly after renewTime + duration", () => {
    expect(leaseExpired({ renewTimeMs: NOW - 15_000 }, NOW, 15_000)).toBe(false);
    expect(leaseExpired({ renewTimeMs: NOW - 15_001 }, NOW, 15_000)).toBe(true);
  });
});

/**
 * The elector's deadline on fake timers, against a Lease API that creates the Lease and then fails every
 * request (an apiserver outage). `now` is the decision clock; `skewMs` makes it read behind the timers'
 * clock, as Date.now does by up to a millisecond against the event loop's clock.
 */
/**
 * A request that never answers unless aborted: the signal a middleware of `options` sets on the
 * request context (as client-node's fetch would use it) is recorded, and rejects the request.
 */
function neverAnswered(options: ConfigurationOptions | undefined, signals: AbortSignal[]): Promise<never> {
  const context = new RequestContext("http://apiserver/lease", HttpMethod.GET);
  for (const middleware of options?.middleware ?? []) void middleware.pre(context);
  const signal = context.getSignal();
  if (!signal) return Promise.reject(new Error("the request was given no signal"));
  signals.push(signal);
  return new Promise<never>((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason as Error));
  });
}

describe("the renew deadline", () => {
  const DEADLINE_MS = 3_000;
  let skewMs = 0;
  let written: V1Lease | undefined;
  let createDelayMs = 0;
  let stopped = 0;

  const api = {
    readNamespacedLease: () =>
      Promise.reject(
        written ? new TypeError("fetch failed") : Object.assign(new Error("404"), { code: 404 }),
      ),
    createNamespacedLease: ({ body }: { body: V1Lease }) =>
      new Promise<V1Lease>((resolve) => {
        written = body;
        setTimeout(() => resolve(body), createDelayMs);
      }),
    replaceNamespacedLease: () => Promise.reject(new TypeError("fetch failed")),
  } as unknown as CoordinationV1Api;

  function elector() {
    return createLeaderElector(api, {
      namespace: "ns",
      name: "lease",
      identity: "me",
      leaseDurationMs: 4_000,
      renewDeadlineMs: DEADLINE_MS,
      // Longer than the deadline, so only the deadline timer can end leadership in time.
      retryPeriodMs: 3_500,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => (stopped += 1),
      logger: pino({ level: "silent" }),
      now: () => Date.now() - skewMs,
    });
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
    skewMs = 0;
    written = undefined;
    createDelayMs = 0;
    stopped = 0;
  });
  afterEach(() => vi.useRealTimers());

  it("steps down at the deadline while renewals fail, also when its timer fires early by now()", async () => {
    const e = elector();
    e.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(e.isLeader()).toBe(true);
    skewMs = 1; // the deadline timer (armed for deadline + 1 ms) now fires at exactly the deadline by now()
    await vi.advanceTimersByTimeAsync(DEADLINE_MS + 1);
    expect(stopped).toBe(0); // now() - renewTime === the deadline: still leading
    await vi.advanceTimersByTimeAsync(1);
    expect(e.isLeader()).toBe(false);
    expect(stopped).toBe(1);
    await e.stop();
  });

  it("counts the deadline from the renewTime written, not from when the write was answered", async () => {
    createDelayMs = 1_000;
    const e = elector();
    e.start();
    await vi.advanceTimersByTimeAsync(createDelayMs);
    expect(e.isLeader()).toBe(true);
    expect(new Date(String(written?.spec?.renewTime)).getTime()).toBe(NOW);
    // A standby sees the Lease expire at renewTime + lease duration: the leader must be gone before.
    await vi.advanceTimersByTimeAsync(DEADLINE_MS - createDelayMs + 1);
    expect(stopped).toBe(1);
    await e.stop();
  });

  it("steps down at the deadline when requests hang, and stop() returns without waiting for them", async () => {
    const signals: AbortSignal[] = [];
    const hanging = {
      readNamespacedLease: (_param: unknown, options?: ConfigurationOptions) => {
        if (!written) return Promise.reject(Object.assign(new Error("404"), { code: 404 }));
        return neverAnswered(options, signals);
      },
      createNamespacedLease: ({ body }: { body: V1Lease }) => {
        written = body;
        return Promise.resolve(body);
      },
      replaceNamespacedLease: (_param: unknown, options?: ConfigurationOptions) =>
        neverAnswered(options, signals),
    } as unknown as CoordinationV1Api;
    const e = createLeaderElector(hanging, {
      namespace: "ns",
      name: "lease",
      identity: "me",
      leaseDurationMs: 4_000,
      renewDeadlineMs: DEADLINE_MS,
      retryPeriodMs: 1_000,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => (stopped += 1),
      logger: pino({ level: "silent" }),
    });
    e.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(e.isLeader()).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000); // the next round's read hangs
    expect(signals.length).toBe(1);
    await vi.advanceTimersByTimeAsync(DEADLINE_MS);
    expect(e.isLeader()).toBe(false);
    expect(stopped).toBe(1);
    // The hung read was aborted at the renew deadline: the round ended, so stop() returns.
    expect(signals.every((signal) => signal.aborted)).toBe(true);
    await e.stop();
  });

  it("does not start leading on a write answered after the deadline", async () => {
    createDelayMs = DEADLINE_MS + 1;
    const e = elector();
    e.start();
    await vi.advanceTimersByTimeAsync(createDelayMs);
    expect(e.isLeader()).toBe(false);
    expect(stopped).toBe(0);
    await e.stop();
  });
});
