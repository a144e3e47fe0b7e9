import type { Condition } from "../../api/v1alpha1/index.js";
import type { ServedReason } from "./served.js";

/** An Event about a HugrDataSource or HugrObjectStorage; its reason is the Ready condition's. */
export interface ServedEvent {
  type: "Normal" | "Warning";
  reason: ServedReason;
  message: string;
  action: string;
}

/** Records an Event about a resource (kube/events.ts); never throws. */
export type ServedEventRecorder = (
  resource: {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; namespace?: string; uid?: string };
  },
  event: ServedEvent,
) => void;

/**
 * The Event a reconcile owes for the Ready condition it wrote, `after`, given the one it read,
 * `before`: one when the status or the reason changed (Loaded, then LoadFailed, then Loaded again),
 * or when a new generation was reconciled (the change a user applied, loaded); none when a reconcile
 * only confirmed what the status said, so a retried failure does not repeat itself. Normal when
 * Ready is True, Warning otherwise.
 */
export function readyEvent(before: Condition | undefined, after: Condition): ServedEvent | undefined {
  const changed =
    before === undefined ||
    before.status !== after.status ||
    before.reason !== after.reason ||
    before.observedGeneration !== after.observedGeneration;
  if (!changed) return undefined;
  return {
    type: after.status === "True" ? "Normal" : "Warning",
    reason: after.reason as ServedReason,
    message: after.message,
    action: "Reconcile",
  };
}
