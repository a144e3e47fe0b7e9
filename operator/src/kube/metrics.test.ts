import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createControllerMetrics, informerMetrics, observeReconcile, workQueueMetrics } from "./metrics.js";
import { WorkQueue } from "./workqueue.js";

async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const sample = (
    metric?.values as { value: number; labels: Record<string, string | number> }[] | undefined
  )?.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return sample?.value ?? NaN;
}

describe("controller metrics", () => {
  it("counts work queue adds, retries and depth through the queue's hooks", async () => {
    const registry = new Registry();
    const metrics = createControllerMetrics(registry);
    const queue = new WorkQueue({ metrics: workQueueMetrics(metrics, "hugrcluster"), baseDelayMs: 60_000 });
    queue.add("ns/a");
    queue.add("ns/b");
    queue.add("ns/a");
    queue.addRateLimited("ns/c");
    const labels = { controller: "hugrcluster" };
    expect(await value(registry, "hugr_operator_workqueue_adds_total", labels)).toBe(2);
    expect(await value(registry, "hugr_operator_workqueue_depth", labels)).toBe(2);
    expect(await value(registry, "hugr_operator_workqueue_retries_total", labels)).toBe(1);
    queue.shutDown();
  });

  it("counts reconciles by result, and errors", async () => {
    const registry = new Registry();
    const metrics = createControllerMetrics(registry);
    observeReconcile(metrics, "hugrcluster", "success", 0.01);
    observeReconcile(metrics, "hugrcluster", "error", 0.02);
    observeReconcile(metrics, "hugrcluster", "requeue", 0.03);
    for (const result of ["success", "error", "requeue"]) {
      expect(
        await value(registry, "hugr_operator_reconciles_total", { controller: "hugrcluster", result }),
      ).toBe(1);
    }
    expect(await value(registry, "hugr_operator_reconcile_errors_total", { controller: "hugrcluster" })).toBe(
      1,
    );
    const text = await registry.metrics();
    expect(text).toContain('hugr_operator_reconcile_duration_seconds_count{controller="hugrcluster"} 3');
  });

  it("reports informer restarts, errors and health, and the leader gauge starts at 0", async () => {
    const registry = new Registry();
    const metrics = createControllerMetrics(registry);
    const hooks = informerMetrics(metrics, "hugrclusters");
    hooks.onRestart?.("watchdog");
    hooks.onError?.();
    hooks.onHealthy?.(false);
    const resource = { resource: "hugrclusters" };
    expect(
      await value(registry, "hugr_operator_informer_restarts_total", { ...resource, reason: "watchdog" }),
    ).toBe(1);
    expect(await value(registry, "hugr_operator_informer_errors_total", resource)).toBe(1);
    expect(await value(registry, "hugr_operator_informer_healthy", resource)).toBe(0);
    expect(await value(registry, "hugr_operator_leader")).toBe(0);
    metrics.leader.set(1);
    expect(await value(registry, "hugr_operator_leader")).toBe(1);
  });
});
