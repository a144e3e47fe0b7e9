import { describe, expect, it } from "vitest";
import { decideLeaderAction, leaseExpired, type LeaderAction, type LeaderDecisionInput } from "./leader.js";

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
      "our lease while standing by (a restart with the same identity): renew",
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
