/**
 * A bounded GraphQL load, run inside the cluster so that it goes through the workers' Service as any
 * client does (kube-proxy spreading it over the ready pods), not through one port-forwarded pod. The
 * kind scenarios mount this file into a pod of the worker image and run it with Node.js 24, which runs
 * TypeScript without a build step: only erasable syntax and node: imports here.
 *
 * Environment (all required but TIMEOUT_MS and HUGR_SECRET_KEY): TARGET_URL (the /graphql URL), QUERY
 * (a GraphQL document), RATE (requests per second), DURATION_S (seconds), TIMEOUT_MS (per request,
 * default 10000), HUGR_SECRET_KEY (sent as x-hugr-secret-key when set: the cluster's admin).
 * It sends RATE requests a second for DURATION_S seconds, never more than RATE * DURATION_S in all, then
 * prints one line `LOAD-SUMMARY <json>`: how many requests were sent, answered without errors, failed,
 * the first failures' reasons and the latency percentiles. Progress every 5 s on standard output.
 * SIGTERM ends it early the same way: no new request, the ones in flight answered, the summary printed.
 */
import { setTimeout as sleep } from "node:timers/promises";

/** What the load prints after `LOAD-SUMMARY `; the kind scenarios read it. */
export interface LoadSummary {
  sent: number;
  ok: number;
  failed: number;
  failures: string[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  seconds: number;
}

const MAX_FAILURES_SHOWN = 20;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function positive(name: string): number {
  const value = Number(required(name));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const target = required("TARGET_URL");
const query = required("QUERY");
const rate = positive("RATE");
const durationS = positive("DURATION_S");
const timeoutMs = Number(process.env["TIMEOUT_MS"] ?? "10000");
const total = Math.floor(rate * durationS);
const secretKey = process.env["HUGR_SECRET_KEY"];
const headers: Record<string, string> = {
  "content-type": "application/json",
  accept: "application/json",
  ...(secretKey ? { "x-hugr-secret-key": secretKey } : {}),
};

const latencies: number[] = [];
const failures: string[] = [];
let ok = 0;
let failed = 0;

async function one(): Promise<void> {
  const begin = performance.now();
  try {
    const response = await fetch(target, {
      method: "POST",
      headers,
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { errors?: { message: string }[]; data?: unknown };
    if (response.status !== 200 || body.errors || !body.data) {
      throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
    }
    ok++;
  } catch (error) {
    failed++;
    const cause = (error as Error).cause as Error | undefined;
    const reason = `${new Date().toISOString()} ${(error as Error).message}${cause ? ` (${cause.message})` : ""}`;
    if (failures.length < MAX_FAILURES_SHOWN) failures.push(reason);
  } finally {
    latencies.push(performance.now() - begin);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
}

let stopping = false;
let wake: (() => void) | undefined;
process.once("SIGTERM", () => {
  stopping = true;
  wake?.();
});

/** Waits `ms`, or less when SIGTERM comes. */
async function pause(ms: number): Promise<void> {
  const ac = new AbortController();
  wake = () => ac.abort();
  await sleep(ms, undefined, { signal: ac.signal }).catch(() => undefined);
  wake = undefined;
}

const started = performance.now();
const inFlight = new Set<Promise<void>>();
let lastProgress = started;
let sent = 0;
for (; sent < total && !stopping; sent++) {
  // Each request at its own time from the start: a slow answer delays nothing after it.
  const due = started + (sent * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await pause(wait);
  if (stopping) break;
  const request = one();
  inFlight.add(request);
  void request.finally(() => inFlight.delete(request));
  if (performance.now() - lastProgress >= 5000) {
    lastProgress = performance.now();
    console.log(`sent ${sent + 1}/${total}, ok ${ok}, failed ${failed}, in flight ${inFlight.size}`);
  }
}
await Promise.all(inFlight);
const sorted = [...latencies].sort((a, b) => a - b);
const summary: LoadSummary = {
  sent,
  ok,
  failed,
  failures,
  p50Ms: percentile(sorted, 50),
  p99Ms: percentile(sorted, 99),
  maxMs: percentile(sorted, 100),
  seconds: Math.round((performance.now() - started) / 100) / 10,
};
console.log(`LOAD-SUMMARY ${JSON.stringify(summary)}`);
