import { describe, expect, it } from "vitest";
import type { Condition } from "../../api/v1alpha1/index.js";
import { readyEvent } from "./served-events.js";

const ready = (status: "True" | "False", reason: string, generation = 1, message = "m"): Condition => ({
  type: "Ready",
  status,
  reason,
  message,
  observedGeneration: generation,
  lastTransitionTime: "2026-12-01T10:00:00Z",
});

describe("readyEvent", () => {
  it("announces the first Ready condition: Normal when True, Warning when False", () => {
    expect(readyEvent(undefined, ready("True", "Loaded", 1, "loaded on 2 of 2 ready nodes"))).toEqual({
      type: "Normal",
      reason: "Loaded",
      message: "loaded on 2 of 2 ready nodes",
      action: "Reconcile",
    });
    expect(readyEvent(undefined, ready("False", "NameConflict", 1, "served by web"))).toEqual({
      type: "Warning",
      reason: "NameConflict",
      message: "served by web",
      action: "Reconcile",
    });
  });

  it.each([
    ["the status changed", ready("True", "Loaded"), ready("False", "LoadFailed")],
    ["the reason changed, status alike", ready("False", "SecretNotFound"), ready("False", "ClusterNotReady")],
    ["a new generation was reconciled", ready("True", "Loaded", 1), ready("True", "Loaded", 2)],
  ])("announces a change when %s", (_case, before, after) => {
    expect(readyEvent(before, after)?.reason).toBe(after.reason);
  });

  it("stays silent when a reconcile confirms what the status said, even with another message", () => {
    expect(
      readyEvent(
        ready("False", "LoadFailed", 3, "node-a: refused"),
        ready("False", "LoadFailed", 3, "node-b: refused"),
      ),
    ).toBeUndefined();
    expect(readyEvent(ready("True", "Loaded"), ready("True", "Loaded"))).toBeUndefined();
  });
});
