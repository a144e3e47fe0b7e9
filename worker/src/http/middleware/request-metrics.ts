import type { MiddlewareHandler } from "hono";
import type { WorkerMetrics } from "../../observability/index.js";

/** Records count and latency of every request, labelled by the matched route (bounded cardinality). */
export function requestMetrics(metrics: WorkerMetrics): MiddlewareHandler {
  return async function recordRequestMetrics(c, next) {
    const stop = process.hrtime.bigint();
    await next();
    const route = c.req.routePath || "unmatched";
    const seconds = Number(process.hrtime.bigint() - stop) / 1e9;
    metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
  };
}
