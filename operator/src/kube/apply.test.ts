import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  errorSummary,
  isAlreadyExists,
  isConflict,
  isNotFound,
  preserveTransitionTimes,
  statusChanged,
  type Condition,
  type StatusWithConditions,
} from "./apply.js";

const ready: Condition = {
  type: "Ready",
  status: "True",
  reason: "Available",
  message: "2/2 nodes ready",
  observedGeneration: 3,
  lastTransitionTime: "2025-01-01T00:00:00Z",
};
const progressing: Condition = {
  type: "Progressing",
  status: "False",
  reason: "Available",
  observedGeneration: 3,
  lastTransitionTime: "2025-01-01T00:00:00Z",
};

describe("statusChanged", () => {
  const base: StatusWithConditions = { observedGeneration: 3, replicas: 2, conditions: [ready, progressing] };

  it.each<[string, StatusWithConditions | undefined, boolean]>([
    ["the same status", { ...base }, false],
    [
      "only lastTransitionTime differs",
      { ...base, conditions: [{ ...ready, lastTransitionTime: "2026-02-02T00:00:00Z" }, progressing] },
      false,
    ],
    ["conditions in another order", { ...base, conditions: [progressing, ready] }, false],
    ["an undefined field, absent in the other", { ...base, selector: undefined }, false],
    ["a condition's status", { ...base, conditions: [{ ...ready, status: "False" }, progressing] }, true],
    ["a condition's reason", { ...base, conditions: [{ ...ready, reason: "Degraded" }, progressing] }, true],
    [
      "a condition's message",
      { ...base, conditions: [{ ...ready, message: "1/2 nodes ready" }, progressing] },
      true,
    ],
    [
      "a condition's observedGeneration",
      { ...base, conditions: [{ ...ready, observedGeneration: 4 }, progressing] },
      true,
    ],
    [
      "a condition added",
      { ...base, conditions: [ready, progressing, { ...ready, type: "Degraded" }] },
      true,
    ],
    ["a condition removed", { ...base, conditions: [ready] }, true],
    ["a top-level field", { ...base, replicas: 3 }, true],
    ["the top-level observedGeneration", { ...base, observedGeneration: 4 }, true],
    ["a nested field", { ...base, nodes: { ready: 1 } }, true],
    ["no status at all", undefined, true],
  ])("%s -> %s", (_name, desired, changed) => {
    expect(statusChanged(base, desired)).toBe(changed);
  });

  it("treats a missing status like an empty one", () => {
    expect(statusChanged(undefined, {})).toBe(false);
    expect(statusChanged(undefined, { conditions: [] })).toBe(true);
  });

  it("compares arrays element by element and tells arrays from objects", () => {
    expect(statusChanged({ nodes: ["a", "b"] }, { nodes: ["a", "b"] })).toBe(false);
    expect(statusChanged({ nodes: ["a", "b"] }, { nodes: ["b", "a"] })).toBe(true);
    expect(statusChanged({ nodes: [] }, { nodes: {} })).toBe(true);
  });
});

describe("preserveTransitionTimes", () => {
  const now = new Date("2026-03-04T05:06:07.890Z");

  it("keeps the time of a condition whose status did not change", () => {
    const desired: Condition[] = [{ ...ready, message: "3/3 nodes ready", lastTransitionTime: undefined }];
    expect(preserveTransitionTimes([ready], desired, now)).toEqual([
      { ...ready, message: "3/3 nodes ready", lastTransitionTime: "2025-01-01T00:00:00Z" },
    ]);
  });

  it("stamps new and changed conditions with now, in metav1.Time's second precision", () => {
    const desired: Condition[] = [
      { type: "Ready", status: "False", reason: "NoNodes" },
      { type: "Degraded", status: "True", reason: "NoNodes" },
    ];
    const result = preserveTransitionTimes([ready], desired, now);
    expect(result.map((c) => c.lastTransitionTime)).toEqual(["2026-03-04T05:06:07Z", "2026-03-04T05:06:07Z"]);
  });
});

describe("error predicates", () => {
  const apiError = (code: number, reason?: string): ApiException<string> =>
    new ApiException(code, "HTTP error", reason ? JSON.stringify({ kind: "Status", reason }) : "", {});

  it("reads the status code of ApiExceptions and of Watch errors", () => {
    expect(isNotFound(apiError(404, "NotFound"))).toBe(true);
    expect(isNotFound(Object.assign(new Error("Not Found"), { statusCode: 404 }))).toBe(true);
    expect(isNotFound(apiError(403, "Forbidden"))).toBe(false);
    expect(isNotFound(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });

  it("tells AlreadyExists from Conflict by the Status reason", () => {
    expect(isAlreadyExists(apiError(409, "AlreadyExists"))).toBe(true);
    expect(isConflict(apiError(409, "AlreadyExists"))).toBe(false);
    expect(isConflict(apiError(409, "Conflict"))).toBe(true);
    expect(isAlreadyExists(apiError(409, "Conflict"))).toBe(false);
  });

  it("counts a 409 without a readable Status as both, and reads object bodies too", () => {
    expect(isConflict(apiError(409))).toBe(true);
    expect(isAlreadyExists(apiError(409))).toBe(true);
    expect(isConflict(new ApiException(409, "x", { reason: "AlreadyExists" }, {}))).toBe(false);
  });

  it("summarises an error by code and message only", () => {
    const error = new ApiException(403, "forbidden", "the body with a secret", { authorization: "Bearer x" });
    const summary = errorSummary(error);
    expect(summary.code).toBe(403);
    expect(JSON.stringify(summary)).not.toContain("secret");
    expect(JSON.stringify(summary)).not.toContain("Bearer");
    expect(errorSummary(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toEqual({
      code: "ECONNREFUSED",
      error: "connect ECONNREFUSED",
    });
    expect(errorSummary("plain")).toEqual({ error: "plain" });
    const forbidden = JSON.stringify({
      kind: "Status",
      reason: "Forbidden",
      message: "configmaps is forbidden",
    });
    expect(errorSummary(new ApiException(403, "x", forbidden, {}))).toEqual({
      code: 403,
      reason: "Forbidden",
      error: "configmaps is forbidden",
    });
  });
});
