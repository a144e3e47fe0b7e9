import { observeReconcile, type ControllerMetrics, type ReconcileOutcome } from "../kube/index.js";

/** One reconcile of the object with this work-queue key. */
export type Reconcile = (key: string) => Promise<ReconcileOutcome | void>;

/** Wraps a reconciler so that each reconcile's outcome and duration are counted. */
export function timed(controller: string, run: Reconcile, metrics: ControllerMetrics): Reconcile {
  return async (key) => {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const outcome = await run(key);
      observeReconcile(
        metrics,
        controller,
        outcome?.requeueAfterMs === undefined ? "success" : "requeue",
        seconds(),
      );
      return outcome;
    } catch (error) {
      observeReconcile(metrics, controller, "error", seconds());
      throw error;
    }
  };
}
