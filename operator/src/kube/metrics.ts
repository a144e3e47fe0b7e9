/**
 * The controllers' Prometheus metrics (reconciles, work queues, leader election, informers), named
 * `hugr_operator_*` like controller-runtime's `controller_runtime_*` and `workqueue_*` families, and the
 * adapters that feed them from the hooks of workqueue.ts and informer.ts (which stay free of
 * prom-client).
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { InformerMetrics } from "./informer.js";
import type { WorkQueueMetrics } from "./workqueue.js";

/** How a reconcile ended: `requeue` is a success that asked to run again later (requeueAfter). */
export type ReconcileResult = "success" | "error" | "requeue";

/** The operator's controller metrics; label values are controller names (`hugrcluster`) and resources. */
export interface ControllerMetrics {
  reconciles: Counter<"controller" | "result">;
  reconcileDuration: Histogram<"controller">;
  reconcileErrors: Counter<"controller">;
  queueDepth: Gauge<"controller">;
  queueAdds: Counter<"controller">;
  queueRetries: Counter<"controller">;
  /** 1 while this replica leads, else 0. */
  leader: Gauge;
  informerRestarts: Counter<"resource" | "reason">;
  informerErrors: Counter<"resource">;
  /** 1 while the informer of that resource is healthy, else 0. */
  informerHealthy: Gauge<"resource">;
}

/**
 * Creates the metrics in `registry`. Call it once per registry: prom-client refuses a second metric of
 * the same name in one registry.
 */
export function createControllerMetrics(registry: Registry): ControllerMetrics {
  const registers = [registry];
  const leader = new Gauge({
    name: "hugr_operator_leader",
    help: "1 while this replica holds the leader election lease",
    registers,
  });
  leader.set(0);
  return {
    reconciles: new Counter({
      name: "hugr_operator_reconciles_total",
      help: "Reconciles by result (success, error, requeue)",
      labelNames: ["controller", "result"],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: "hugr_operator_reconcile_duration_seconds",
      help: "Duration of reconciles",
      labelNames: ["controller"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    reconcileErrors: new Counter({
      name: "hugr_operator_reconcile_errors_total",
      help: "Reconciles that failed and were retried with backoff",
      labelNames: ["controller"],
      registers,
    }),
    queueDepth: new Gauge({
      name: "hugr_operator_workqueue_depth",
      help: "Keys waiting in the work queue",
      labelNames: ["controller"],
      registers,
    }),
    queueAdds: new Counter({
      name: "hugr_operator_workqueue_adds_total",
      help: "Keys accepted into the work queue (after de-duplication)",
      labelNames: ["controller"],
      registers,
    }),
    queueRetries: new Counter({
      name: "hugr_operator_workqueue_retries_total",
      help: "Keys re-added with backoff after a failed reconcile",
      labelNames: ["controller"],
      registers,
    }),
    leader,
    informerRestarts: new Counter({
      name: "hugr_operator_informer_restarts_total",
      help: "Informer restarts by reason (error, resync, watchdog)",
      labelNames: ["resource", "reason"],
      registers,
    }),
    informerErrors: new Counter({
      name: "hugr_operator_informer_errors_total",
      help: "List and watch errors of informers",
      labelNames: ["resource"],
      registers,
    }),
    informerHealthy: new Gauge({
      name: "hugr_operator_informer_healthy",
      help: "1 while the informer of a resource lists and watches successfully",
      labelNames: ["resource"],
      registers,
    }),
  };
}

/** The work queue hooks of one controller, feeding depth, adds and retries. */
export function workQueueMetrics(metrics: ControllerMetrics, controller: string): WorkQueueMetrics {
  const labels = { controller };
  return {
    onDepth: (depth) => metrics.queueDepth.set(labels, depth),
    onAdd: () => metrics.queueAdds.inc(labels),
    onRetry: () => metrics.queueRetries.inc(labels),
  };
}

/** The informer hooks of one resource, feeding restarts, errors and health. */
export function informerMetrics(metrics: ControllerMetrics, resource: string): InformerMetrics {
  return {
    onRestart: (reason) => metrics.informerRestarts.inc({ resource, reason }),
    onError: () => metrics.informerErrors.inc({ resource }),
    onHealthy: (healthy) => metrics.informerHealthy.set({ resource }, healthy ? 1 : 0),
  };
}

/**
 * Counts one finished reconcile: its result, its duration and, for `error`, an error. Call it from the
 * controller's reconcile wrapper, where the typed outcome is known.
 */
export function observeReconcile(
  metrics: ControllerMetrics,
  controller: string,
  result: ReconcileResult,
  durationSeconds: number,
): void {
  metrics.reconciles.inc({ controller, result });
  metrics.reconcileDuration.observe({ controller }, durationSeconds);
  if (result === "error") metrics.reconcileErrors.inc({ controller });
}
