/**
 * Benchmark: the operator on a real kube-apiserver — how long a HugrDataSource takes from creation to
 * Ready on every work node, and the operator's memory with 1,000 custom resources (targets:
 * /work/shared/DESIGN.md, "Targets"; results: docs/benchmarks.md).
 *
 *   npx tsx bench/reconcile.ts [--sizes 1,5,10] [--iterations N] [--warmup N] [--resources N]
 *                              [--concurrency N] [--timeout S] [--quick] [--profile-dir DIR]
 *                              [--operator-node-options=OPTIONS (default: the image's)]
 *                              [--heap-snapshot-dir DIR]
 *
 * Everything runs as separate processes on loopback, as in operator/test/datasources.envtest.test.ts:
 * etcd and kube-apiserver (envtest, KUBEBUILDER_ASSETS or `make envtest`), one private PostgreSQL (the
 * cluster's core database), the built operator (`operator/dist/main.js`, Kubernetes mode, as its
 * ServiceAccount with the RBAC of config/, the harness's CHECK=1s TIMEOUT=2s) and work nodes started
 * with the environment of the rendered pod template on 127.0.0.141, .142, ... port 15000 (no kubelet:
 * the benchmark plays it).
 *
 *   1. apply -> Ready: for 1, 5 and 10 work nodes (one HugrCluster, scaled through spec.replicas), a new
 *      HugrDataSource is created with a POST to the apiserver (admin token) and timed until a watch shows
 *      Ready=True for its generation with status.loaded == nodes. Baselines in the same rounds, on the
 *      same resource: the raw fan-out (the signed node API's load on every node in parallel: what the
 *      reconciler's fan-out sends), the management API's GET .../status (a fan-out by the operator) and
 *      its POST .../load (in Kubernetes mode mirrored into the resource: no fan-out when nothing
 *      changes). The operator's /metrics give reconciles and load fan-outs per resource.
 *   2. memory: the operator's RSS after start-up and idle (the cluster only), then while and after
 *      1,000 HugrDataSources are created (20 at a time) and reconciled on every node, with how long
 *      that took. Each state is sampled over 10 s, then a full GC is forced through the operator's
 *      inspector (SIGUSR1 on --inspect-port) to show what is live.
 *
 * Exits non-zero when something fails (a process that does not start, a resource that never gets
 * Ready in phase 1), not when a target is missed.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import {
  createManagementClient,
  createNodeClient,
  type ManagementClient,
  type NodeClient,
} from "@hugr/protocol";
import { freePort, type RunningProcess } from "../e2e/harness/processes.js";
import { createEventsDatabase, EVENTS_SDL } from "../e2e/scenarios/events-source.js";
import type { HugrDataSource } from "../operator/src/api/v1alpha1/index.js";
import { findEnvtestAssets, startEnvtest, type Envtest } from "../operator/test/harness/envtest.js";
import {
  operatorKubeconfig,
  startOperatorProcess,
  startRenderedWorker,
  type FakePod,
} from "../operator/test/harness/operator.js";
import { findPostgresBinDir, startPostgres, type PostgresInstance } from "../worker/test/harness/postgres.js";
import {
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  createProgress,
  describeMachine as describeBaseMachine,
  exitOnSignals,
  formatTable,
  loadAverage,
  machineSummary,
  integerFlag,
  percentile,
  teardownOnce,
  type Machine as BaseMachine,
} from "./lib.js";

const NAMESPACE = "hugr";
const CLUSTER = { namespace: NAMESPACE, name: "demo" };
const HDS_PATH = `/apis/hugr.io/v1alpha1/namespaces/${NAMESPACE}/hugrdatasources`;
const CLUSTER_PATH = `/apis/hugr.io/v1alpha1/namespaces/${NAMESPACE}/hugrclusters/${CLUSTER.name}`;
/** Work node N (0-based) is the pod demo-bench-N on 127.0.0.(IP_BASE + N), away from the tests' addresses. */
const IP_BASE = 141;
const WORKER_PORT = 15000;
const DEFAULT_SIZES = [1, 5, 10];
const QUICK_SIZES = [1, 5];
const DEFAULT_ITERATIONS = 20;
const QUICK_ITERATIONS = 5;
const DEFAULT_WARMUP = 3;
const DEFAULT_RESOURCES = 1_000;
const QUICK_RESOURCES = 100;
const DEFAULT_CONCURRENCY = 20;
/** Phase 2 gives up waiting for every resource to be Ready after this many seconds. */
const DEFAULT_TIMEOUT_S = 600;
/** One resource of phase 1 must be Ready within this. */
const READY_TIMEOUT_MS = 30_000;
/** Growing the cluster: registration of new nodes, and existing resources converging onto them. */
const SCALE_TIMEOUT_MS = 120_000;
/** Work nodes started at once while the cluster grows (2 cores: more only queue up). */
const START_BATCH = 5;
/** Creations (and deletions) between two progress lines in phase 2. */
const PROGRESS_EVERY = 100;
/** The operator's RSS is sampled this often over this long (before a GC is forced). */
const RSS_SAMPLE_MS = 1_000;
const RSS_WINDOW_MS = 10_000;
const POLL_MS = 100;
/** Bound of one signed call and of one apiserver request. */
const CALL_TIMEOUT_MS = 30_000;
/** After Ctrl-C, the time a child gets to exit after SIGTERM before it is killed (STOP_GRACE_MS otherwise). */
const INTERRUPT_GRACE_MS = 1_000;
/** DESIGN.md targets. */
const TARGET_READY_MS = 2_000;
const TARGET_OPERATOR_RSS_MB = 200;
const TARGET_RESOURCES = 1_000;

/** Command-line settings. */
interface Settings {
  sizes: number[];
  iterations: number;
  warmup: number;
  resources: number;
  concurrency: number;
  timeoutMs: number;
  /** When set, the operator runs with --cpu-prof and writes its profile here on exit. */
  profileDir: string | undefined;
  /**
   * The operator's NODE_OPTIONS: by default those its image sets (Dockerfile.operator), so the
   * benchmark measures what ships; "" runs it with Node's defaults.
   */
  operatorNodeOptions: string;
  /**
   * When set, a heap snapshot of the operator is written here once the 1,000 are Ready and measured
   * (only then: writing one grows the process, which would skew the states measured after it).
   */
  heapSnapshotDir: string | undefined;
}

/** Latency summary in ms (nearest-rank percentiles). */
interface Stats {
  n: number;
  p50: number;
  p90: number;
  max: number;
  mean: number;
}

/** One HugrDataSource from the POST to Ready, ms since right before the POST. */
interface ApplySample {
  posted: number;
  /** The first watch event that carries the operator's finalizer: its reconcile has started. */
  finalizer: number;
  ready: number;
}

/** Counters of the operator's /metrics that phase 1 reads before and after each size. */
interface OperatorCounters {
  reconciles: number;
  reconcileSeconds: number;
  reconcileErrors: number;
  loadFanOuts: number;
  loadFanOutSeconds: number;
}

/** Phase 1: one cluster size. */
interface ApplyRow {
  nodes: number;
  posted: Stats;
  finalizer: Stats;
  ready: Stats;
  /** Signed POST /v1/data-sources/NAME/load to every node in parallel, from the benchmark. */
  rawFanOut: Stats;
  /** Signed GET /clusters/NS/demo/v1/data-sources/NAME/status: the operator fans it out. */
  managementStatus: Stats;
  /** Signed POST /clusters/NS/demo/v1/data-sources/NAME/load (mirrored into the resource). */
  managementLoad: Stats;
  /** From the operator's /metrics over the measured rounds, per created resource. */
  reconcilesPerResource: number;
  reconcileMeanMs: number;
  reconcileErrors: number;
  loadFanOutsPerResource: number;
  loadFanOutMeanMs: number;
}

/** Resident set size samples of one process, MB. */
interface RssWindow {
  last: number;
  max: number;
}

/** The operator's V8 heap (used, total) and external memory (Buffers, ArrayBuffers), MB, from its /metrics. */
interface HeapInfo {
  heapUsed: number | undefined;
  heapTotal: number | undefined;
  external: number | undefined;
}

/**
 * The operator's memory: RSS over a window (no GC forced), its heap at the end of the window, then RSS
 * and heap once a full GC was forced through its inspector: what is live.
 */
interface OperatorMemory extends RssWindow, HeapInfo {
  /** Open sockets of the process at the end of the window (connections to the apiserver among them). */
  sockets: number;
  afterGc: (RssParts & HeapInfo) | undefined;
}

/** Phase 2. */
interface MemoryResult {
  nodes: number;
  resources: number;
  /** After start-up: the cluster with one node, no resource. */
  startup: OperatorMemory;
  /** Before the 1,000: the cluster at `nodes`, the phase-1 resources deleted again. */
  idle: OperatorMemory;
  /** Sampled every second while the resources were created and reconciled. */
  duringMax: number;
  after: OperatorMemory;
  /** ms from the first POST: all created; all Ready on every node (undefined: timed out). */
  createdMs: number;
  allReadyMs: number | undefined;
  readyCount: number;
  reconciles: number;
  reconcileErrors: number;
  workerRssMb: RssWindow | undefined;
}

interface Machine extends BaseMachine {
  postgres: string;
  kubernetes: string;
}

/** What has to be torn down on exit. */
const resources = {
  workers: new Map<string, RunningProcess>(),
  operator: undefined as RunningProcess | undefined,
  env: undefined as Envtest | undefined,
  postgres: undefined as PostgresInstance | undefined,
  watch: undefined as DataSourceWatch | undefined,
};
const progress = createProgress("reconcile");
const { log, since } = progress;

// ---- command line ---------------------------------------------------------------------------

function parseCommandLine(): Settings {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      iterations: { type: "string" },
      warmup: { type: "string" },
      resources: { type: "string" },
      concurrency: { type: "string" },
      timeout: { type: "string" },
      quick: { type: "boolean", default: false },
      "profile-dir": { type: "string" },
      "operator-node-options": { type: "string" },
      "heap-snapshot-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npx tsx bench/reconcile.ts [--sizes 1,5,10] [--iterations N (20; 0: phase 2 only)] [--warmup N (3)]\n" +
        "                                  [--resources N (1000; 0 skips phase 2)] [--concurrency N (20)]\n" +
        "                                  [--timeout S (600: phase 2's wait for Ready)] [--quick (smoke run)]\n" +
        "                                  [--profile-dir DIR (the operator runs with --cpu-prof)]\n" +
        '                                  [--operator-node-options="..." (NODE_OPTIONS; default: the image\'s; "": Node\'s defaults)]\n' +
        "                                  [--heap-snapshot-dir DIR (operator heap snapshot after the 1,000)]",
    );
    process.exit(0);
  }
  const quick = values.quick;
  const sizes = values.sizes
    ? values.sizes.split(",").map((s) => integerFlag("--sizes", s, 0, 1))
    : quick
      ? QUICK_SIZES
      : DEFAULT_SIZES;
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    iterations: integerFlag(
      "--iterations",
      values.iterations,
      quick ? QUICK_ITERATIONS : DEFAULT_ITERATIONS,
      0,
    ),
    warmup: integerFlag("--warmup", values.warmup, quick ? 1 : DEFAULT_WARMUP, 0),
    resources: integerFlag("--resources", values.resources, quick ? QUICK_RESOURCES : DEFAULT_RESOURCES, 0),
    concurrency: integerFlag("--concurrency", values.concurrency, DEFAULT_CONCURRENCY, 1),
    timeoutMs: integerFlag("--timeout", values.timeout, DEFAULT_TIMEOUT_S, 1) * 1000,
    profileDir: values["profile-dir"],
    operatorNodeOptions: values["operator-node-options"] ?? imageNodeOptions(),
    heapSnapshotDir: values["heap-snapshot-dir"],
  };
}

/** The NODE_OPTIONS that Dockerfile.operator sets for the operator (its V8 heap sizing). */
function imageNodeOptions(): string {
  const dockerfile = fileURLToPath(new URL("../Dockerfile.operator", import.meta.url));
  const match = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(readFileSync(dockerfile, "utf8"));
  if (!match) throw new Error(`${dockerfile} has no ENV NODE_OPTIONS="..." line`);
  return match[1]!;
}

// ---- statistics -----------------------------------------------------------------------------

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    max: sorted.at(-1) ?? NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

const ms = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? "-" : value.toFixed(1);

// ---- the Kubernetes API, as admin -----------------------------------------------------------

interface KubeAnswer {
  status: number;
  text: string;
}

/** JSON requests and watches against the envtest apiserver with the admin token, over one keep-alive agent. */
interface KubeApi {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeAnswer>;
  /** `call`, failing unless the status is 2xx; resolves with the parsed answer. */
  ok<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  /** Streams a watch; `onLine` gets each JSON line; resolves when the server ends it. */
  stream(path: string, onLine: (line: string) => void): { done: Promise<void>; close: () => void };
}

function createKubeApi(env: Envtest, ca: string): KubeApi {
  const agent = new Agent({ keepAlive: true, ca, maxSockets: 64 });
  const headers = (contentType?: string): Record<string, string> => ({
    authorization: `Bearer ${env.token}`,
    accept: "application/json",
    ...(contentType ? { "content-type": contentType } : {}),
  });

  const call = (method: string, path: string, body?: unknown, contentType = "application/json") =>
    new Promise<KubeAnswer>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, env.server),
        { method, agent, headers: headers(payload ? contentType : undefined), timeout: CALL_TIMEOUT_MS },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on("error", reject);
      req.end(payload);
    });

  return {
    call,
    async ok<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
      const answer = await call(method, path, body, contentType);
      if (answer.status < 200 || answer.status > 299)
        throw new Error(`${method} ${path} answered ${answer.status}: ${answer.text.slice(0, 500)}`);
      return JSON.parse(answer.text) as T;
    },
    stream(path, onLine) {
      let req: ReturnType<typeof request> | undefined;
      const done = new Promise<void>((resolve, reject) => {
        req = request(new URL(path, env.server), { method: "GET", agent, headers: headers() }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`watch ${path} answered ${res.statusCode}`));
            return;
          }
          let partial = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            const lines = (partial + chunk).split("\n");
            partial = lines.pop() ?? "";
            for (const line of lines) if (line.trim()) onLine(line);
          });
          res.on("end", resolve);
          res.on("close", resolve);
          res.on("error", reject);
        });
        req.on("error", reject);
        req.end();
      });
      return { done, close: () => req?.destroy() };
    },
  };
}

// ---- a watch on the namespace's HugrDataSources ---------------------------------------------

interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: HugrDataSource & { code?: number };
}

type Listener = (source: HugrDataSource, type: WatchEvent["type"], at: number) => void;

/** The namespace's HugrDataSources as a watch sees them; listeners get every change with its arrival time. */
interface DataSourceWatch {
  latest: Map<string, HugrDataSource>;
  listen(listener: Listener): () => void;
  /** Resolves with performance.now() of the first event (or current state) where `predicate` holds. */
  until(name: string, predicate: (s: HugrDataSource) => boolean, timeoutMs: number): Promise<number>;
  close(): void;
}

interface ListAnswer {
  metadata: { resourceVersion: string };
  items: HugrDataSource[];
}

/** Lists, then watches from the list's resourceVersion; re-lists when the server ends or expires the watch. */
function watchDataSources(api: KubeApi): DataSourceWatch {
  const latest = new Map<string, HugrDataSource>();
  const listeners = new Set<Listener>();
  let closed = false;
  let current: { close: () => void } | undefined;

  const deliver = (type: WatchEvent["type"], source: HugrDataSource): void => {
    const at = performance.now();
    const name = source.metadata.name ?? "";
    if (type === "DELETED") latest.delete(name);
    else latest.set(name, source);
    for (const listener of listeners) listener(source, type, at);
  };

  async function run(): Promise<void> {
    let resourceVersion: string | undefined;
    while (!closed) {
      if (resourceVersion === undefined) {
        const list = await api.ok<ListAnswer>("GET", HDS_PATH);
        for (const item of list.items) deliver("MODIFIED", item);
        resourceVersion = list.metadata.resourceVersion;
      }
      const query = `?watch=1&allowWatchBookmarks=true&timeoutSeconds=1800&resourceVersion=${resourceVersion}`;
      let expired = false;
      const stream = api.stream(HDS_PATH + query, (line) => {
        const event = JSON.parse(line) as WatchEvent;
        if (event.type === "ERROR") expired = true;
        else if (event.object.metadata.resourceVersion)
          resourceVersion = event.object.metadata.resourceVersion;
        if (event.type !== "ERROR" && event.type !== "BOOKMARK") deliver(event.type, event.object);
      });
      current = stream;
      await stream.done.catch((error: unknown) => {
        if (!closed) log(`watch ended (${(error as Error).message}); watching again`);
      });
      if (expired) resourceVersion = undefined;
    }
  }
  void run().catch((error: unknown) => {
    if (!closed) log(`watch failed for good: ${(error as Error).message}`);
  });
  const listen = (listener: Listener): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  return {
    latest,
    listen,
    until(name, predicate, timeoutMs) {
      const now = latest.get(name);
      if (now && predicate(now)) return Promise.resolve(performance.now());
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          unlisten();
          const seen = JSON.stringify(latest.get(name)?.status ?? null);
          reject(new Error(`${name}: not there within ${timeoutMs} ms; last status ${seen}`));
        }, timeoutMs);
        const unlisten = listen((source, type, at) => {
          if (source.metadata.name !== name || type === "DELETED" || !predicate(source)) return;
          clearTimeout(timer);
          unlisten();
          resolve(at);
        });
      });
    },
    close() {
      closed = true;
      current?.close();
    },
  };
}

/** Ready=True for the current generation, loaded on `nodes` nodes. */
function readyOn(nodes: number): (source: HugrDataSource) => boolean {
  return (source) => {
    const generation = source.metadata.generation;
    const ready = source.status?.conditions?.find((c) => c.type === "Ready");
    return (
      ready?.status === "True" &&
      ready.observedGeneration === generation &&
      (source.status?.observedGeneration ?? generation) === generation &&
      source.status?.loaded === nodes
    );
  };
}

const hasFinalizer = (source: HugrDataSource): boolean => (source.metadata.finalizers ?? []).length > 0;

/** Connections the PostgreSQL server allows: the core database's plus the nodes' source loads. */
const SOURCE_DB_CONNECTIONS = 1_000;

/** The real database every benchmark data source serves (`events`, e2e/scenarios/events-source.ts). */
let sourceDsn = "";

/**
 * A HugrDataSource serving the `events` table under its own prefix (so 1,000 of them never collide);
 * hugr's names allow letters, digits and _ only, Kubernetes' no _: hence "ds5n12".
 */
function dataSource(name: string): Record<string, unknown> {
  return {
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrDataSource",
    metadata: { name, namespace: NAMESPACE },
    spec: {
      clusterRef: { name: CLUSTER.name },
      type: "postgres",
      prefix: name,
      path: sourceDsn,
      catalogs: [{ name: "events", type: "text", path: EVENTS_SDL }],
    },
  };
}

// ---- processes and the operator's counters --------------------------------------------------

/** Resident set size and its anonymous and file-backed parts (the node binary's code), MB. */
interface RssParts {
  rss: number;
  anon: number;
  file: number;
}

/** RSS of a process and its parts from /proc/PID/status (Linux), NaN when unknown. */
function rssParts(pid: number | undefined): RssParts {
  let status = "";
  try {
    status = pid === undefined ? "" : readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    // gone: NaN
  }
  const field = (name: string): number => {
    const match = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  };
  return { rss: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") };
}

/** How many sockets a process holds open (Linux /proc/PID/fd), NaN when unknown. */
function openSockets(pid: number | undefined): number {
  try {
    const dir = `/proc/${pid}/fd`;
    return readdirSync(dir).filter((fd) => {
      try {
        return readlinkSync(`${dir}/${fd}`).startsWith("socket:");
      } catch {
        return false;
      }
    }).length;
  } catch {
    return NaN;
  }
}

/** Resident set size in MB of a process (Linux /proc), or NaN. */
const rssMb = (pid: number | undefined): number => rssParts(pid).rss;

/** The operator's heap and external memory from its /metrics. */
async function heapInfo(operator: RunningProcess): Promise<HeapInfo> {
  const text = await operatorMetrics(operator).catch(() => "");
  const mb = (name: string): number | undefined => {
    const bytes = metricSum(text, name);
    return bytes > 0 ? bytes / 2 ** 20 : undefined;
  };
  return {
    heapUsed: mb("nodejs_heap_size_used_bytes"),
    heapTotal: mb("nodejs_heap_size_total_bytes"),
    external: mb("nodejs_external_memory_bytes"),
  };
}

/**
 * The operator's RSS every RSS_SAMPLE_MS over RSS_WINDOW_MS (the last and the largest) and its heap
 * then; after that a full GC forced through the inspector, and RSS and heap again.
 */
async function sampleOperator(
  operator: RunningProcess,
  label: string,
  snapshotFile?: string,
): Promise<OperatorMemory> {
  const samples: number[] = [];
  const end = performance.now() + RSS_WINDOW_MS;
  for (;;) {
    samples.push(rssMb(operator.child.pid));
    if (performance.now() + RSS_SAMPLE_MS > end) break;
    await sleep(RSS_SAMPLE_MS);
  }
  const window = {
    last: samples.at(-1) ?? NaN,
    max: Math.max(...samples),
    sockets: openSockets(operator.child.pid),
    ...(await heapInfo(operator)),
  };
  const afterGc = await forceGc(operator)
    .then(async () => ({ ...rssParts(operator.child.pid), ...(await heapInfo(operator)) }))
    .catch((error: unknown) => {
      log(`could not force a GC in the operator: ${(error as Error).message}`);
      return undefined;
    });
  if (snapshotFile)
    await takeHeapSnapshot(operator, snapshotFile).then(
      () => log(`operator heap snapshot ${snapshotFile}`),
      (error: unknown) => log(`could not take a heap snapshot of the operator: ${(error as Error).message}`),
    );
  log(
    `operator ${label}: RSS last ${ms(window.last)} MB, max ${ms(window.max)} MB (${samples.length} samples); ` +
      `V8 heap used ${ms(window.heapUsed)} of ${ms(window.heapTotal)} MB, external ${ms(window.external)} MB, ` +
      `${window.sockets} sockets; ` +
      `after a forced GC: RSS ${ms(afterGc?.rss)} MB (anon ${ms(afterGc?.anon)}, file ${ms(afterGc?.file)}), ` +
      `heap used ${ms(afterGc?.heapUsed)} of ${ms(afterGc?.heapTotal)} MB`,
  );
  return { ...window, afterGc };
}

const snapshotPath = (settings: Settings, state: string): string | undefined =>
  settings.heapSnapshotDir && join(settings.heapSnapshotDir, `operator-${state}.heapsnapshot`);

/** The port the operator's inspector opens on when it gets SIGUSR1 (`--inspect-port`). */
let inspectPort = 0;

/**
 * A full garbage collection in the operator, from outside: SIGUSR1 opens its inspector (on
 * `inspectPort`), then HeapProfiler.collectGarbage over the DevTools protocol, twice. Waits a second
 * for the allocator to hand pages back.
 */
async function forceGc(operator: RunningProcess): Promise<void> {
  await inspectorSession(operator, async (send) => {
    await send("HeapProfiler.collectGarbage");
    await send("HeapProfiler.collectGarbage");
  });
  await sleep(1_000);
}

/**
 * A heap snapshot of the operator (HeapProfiler.takeHeapSnapshot over its inspector, which collects
 * garbage first) written to `file`: open it in Chrome DevTools' Memory tab to see what holds the heap.
 */
async function takeHeapSnapshot(operator: RunningProcess, file: string): Promise<void> {
  const out = createWriteStream(file);
  await inspectorSession(
    operator,
    (send) => send("HeapProfiler.takeHeapSnapshot", { reportProgress: false }),
    (method, params) => {
      if (method === "HeapProfiler.addHeapSnapshotChunk") out.write((params as { chunk: string }).chunk);
    },
  );
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

/**
 * Opens the operator's inspector (SIGUSR1; it listens on `inspectPort`) and runs `body` with a `send`
 * that resolves with the answer to one DevTools protocol call; `onEvent` gets the events in between.
 */
async function inspectorSession(
  operator: RunningProcess,
  body: (send: (method: string, params?: unknown) => Promise<unknown>) => Promise<unknown>,
  onEvent: (method: string, params: unknown) => void = () => {},
): Promise<void> {
  operator.child.kill("SIGUSR1");
  let target = "";
  await waitUntil("the operator's inspector", 10_000, async () => {
    const list = await fetch(`http://127.0.0.1:${inspectPort}/json/list`).then(
      (r) => r.json() as Promise<{ webSocketDebuggerUrl?: string }[]>,
      () => [],
    );
    target = list[0]?.webSocketDebuggerUrl ?? "";
    return target !== "";
  });
  const socket = new WebSocket(target);
  try {
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`inspector ${target}: could not connect`));
    });
    let nextId = 0;
    const pending = new Map<number, (result: unknown) => void>();
    socket.onmessage = (event: MessageEvent) => {
      const message = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: unknown };
      if (message.id !== undefined) pending.get(message.id)?.(message);
      else if (message.method) onEvent(message.method, message.params);
    };
    await body(
      (method, params) =>
        new Promise((resolve) => {
          const id = ++nextId;
          pending.set(id, resolve);
          socket.send(JSON.stringify({ id, method, params }));
        }),
    );
  } finally {
    socket.close();
  }
}

/** The sum of every series of `name` whose labels include `labels`, in Prometheus text format. */
function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

async function operatorMetrics(operator: RunningProcess): Promise<string> {
  const response = await fetch(`${operator.url}/metrics`);
  return response.text();
}

async function operatorCounters(operator: RunningProcess): Promise<OperatorCounters> {
  const text = await operatorMetrics(operator);
  const controller = { controller: "hugrdatasource" };
  const load = { operation: "load_data_source" };
  return {
    reconciles: metricSum(text, "hugr_operator_reconcile_duration_seconds_count", controller),
    reconcileSeconds: metricSum(text, "hugr_operator_reconcile_duration_seconds_sum", controller),
    reconcileErrors: metricSum(text, "hugr_operator_reconcile_errors_total", controller),
    loadFanOuts: metricSum(text, "hugr_management_fanout_duration_seconds_count", load),
    loadFanOutSeconds: metricSum(text, "hugr_management_fanout_duration_seconds_sum", load),
  };
}

// ---- set-up and scaling ---------------------------------------------------------------------

interface Bench {
  env: Envtest;
  api: KubeApi;
  watch: DataSourceWatch;
  operator: RunningProcess;
  management: ManagementClient;
  secret: string;
  /** Signed node clients, in pod order; `nodes.length` is the cluster's current size. */
  nodes: NodeClient[];
}

const podOf = (index: number): FakePod => ({ name: `demo-bench-${index}`, ip: `127.0.0.${IP_BASE + index}` });

/** etcd + kube-apiserver, PostgreSQL, the operator as its ServiceAccount, the HugrCluster with one node. */
async function setUp(settings: Settings): Promise<Bench> {
  let start = performance.now();
  log("starting etcd + kube-apiserver (envtest) and PostgreSQL (test harness)");
  // Every node keeps a connection per loaded source while it is busy: room for 1,000 sources on 10 nodes.
  const [env, pg] = await Promise.all([
    startEnvtest(),
    startPostgres({ maxConnections: SOURCE_DB_CONNECTIONS }),
  ]);
  sourceDsn = await createEventsDatabase(pg, "events");
  resources.env = env;
  resources.postgres = pg;
  await env.applyCrds();
  const api = createKubeApi(env, await readFile(env.caPath, "utf8"));
  log(`apiserver ${env.server} and PostgreSQL :${pg.port} ready, CRDs served, in ${since(start)}`);

  start = performance.now();
  inspectPort = await freePort();
  const nodeOptions = [
    `--inspect-port=127.0.0.1:${inspectPort}`,
    ...(settings.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${settings.profileDir}`] : []),
    settings.operatorNodeOptions,
  ];
  const operator = await startOperatorProcess({
    kubeconfigPath: await operatorKubeconfig(env),
    env: { NODE_OPTIONS: nodeOptions.join(" ").trim() },
  });
  resources.operator = operator;
  log(`operator ready in ${since(start)} at ${operator.url} (pid ${operator.child.pid})`);

  await api.ok("POST", "/api/v1/namespaces", { metadata: { name: NAMESPACE } });
  await api.ok("POST", `/api/v1/namespaces/${NAMESPACE}/secrets`, {
    metadata: { name: "hugr-db" },
    stringData: { url: pg.url },
  });
  await api.ok("POST", CLUSTER_PATH.slice(0, CLUSTER_PATH.lastIndexOf("/")), {
    apiVersion: "hugr.io/v1alpha1",
    kind: "HugrCluster",
    metadata: CLUSTER,
    spec: {
      image: "ghcr.io/example/hugr-worker:1.0.0",
      replicas: 1,
      coreDB: { urlSecretRef: { name: "hugr-db", key: "url" } },
      // One connection per source per node, closed a second after its load: 1,000 sources stay within
      // the server's connections.
      env: [
        { name: "DATA_SOURCE_MAX_CONNECTIONS", value: "1" },
        { name: "DATA_SOURCE_IDLE_TIMEOUT", value: "1s" },
      ],
    },
  });
  const secret = await clusterSecret(api);
  const watch = watchDataSources(api);
  resources.watch = watch;
  const management = createManagementClient({
    baseUrl: `${operator.url}/clusters/${NAMESPACE}/${CLUSTER.name}`,
    secret,
    timeoutMs: CALL_TIMEOUT_MS,
  });
  const bench: Bench = { env, api, watch, operator, management, secret, nodes: [] };
  await scaleTo(bench, 1);
  return bench;
}

/** Waits for the HugrCluster's Deployment and generated Secret; returns the cluster secret. */
async function clusterSecret(api: KubeApi): Promise<string> {
  const deadline = performance.now() + SCALE_TIMEOUT_MS;
  const path = `/api/v1/namespaces/${NAMESPACE}/secrets/${CLUSTER.name}-cluster-secret`;
  while (performance.now() < deadline) {
    const deployment = await api.call("GET", `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/demo`);
    const answer = await api.call("GET", path);
    if (deployment.status === 200 && answer.status === 200) {
      const data = (JSON.parse(answer.text) as { data?: Record<string, string> }).data ?? {};
      const value = Buffer.from(data["cluster-secret"] ?? "", "base64").toString("utf8");
      if (value) return value;
    }
    await sleep(POLL_MS);
  }
  throw new Error("the HugrCluster's Deployment and Secret did not appear");
}

interface ClusterState {
  status?: { registeredNodes?: number; nodes?: { name: string; ready: boolean }[] };
}

/**
 * spec.replicas = size, then the new "pods" (START_BATCH at a time), then waits until the HugrCluster
 * reports `size` registered ready nodes and every existing resource is loaded on all of them.
 */
async function scaleTo(bench: Bench, size: number): Promise<void> {
  const start = performance.now();
  await bench.api.ok("PATCH", CLUSTER_PATH, { spec: { replicas: size } }, "application/merge-patch+json");
  for (let next = bench.nodes.length; next < size; next += START_BATCH) {
    const pods = Array.from({ length: Math.min(START_BATCH, size - next) }, (_, i) => podOf(next + i));
    await Promise.all(
      pods.map(async (pod) => {
        resources.workers.set(pod.name, await startRenderedWorker(bench.env, CLUSTER, pod));
      }),
    );
  }
  bench.nodes = Array.from({ length: size }, (_, i) =>
    createNodeClient({
      baseUrl: `http://${podOf(i).ip}:${WORKER_PORT}`,
      secret: bench.secret,
      timeoutMs: CALL_TIMEOUT_MS,
    }),
  );
  await waitUntil(`${size} registered ready nodes`, SCALE_TIMEOUT_MS, async () => {
    const cluster = await bench.api.ok<ClusterState>("GET", CLUSTER_PATH);
    const ready = (cluster.status?.nodes ?? []).filter((n) => n.ready).length;
    return cluster.status?.registeredNodes === size && ready === size;
  });
  const onAll = readyOn(size);
  await waitUntil(`existing resources loaded on ${size} nodes`, SCALE_TIMEOUT_MS, () =>
    Promise.resolve([...bench.watch.latest.values()].every(onAll)),
  );
  log(`cluster at ${size} work node(s), registered and ready (grew in ${since(start)})`);
}

async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe()) return;
    await sleep(POLL_MS);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// ---- phase 1: apply -> Ready ----------------------------------------------------------------

/** POSTs a new HugrDataSource and waits for the watch to show it Ready on `size` nodes. */
async function applyUntilReady(bench: Bench, name: string, size: number): Promise<ApplySample> {
  const finalizer = bench.watch.until(name, hasFinalizer, READY_TIMEOUT_MS);
  const ready = bench.watch.until(name, readyOn(size), READY_TIMEOUT_MS);
  const start = performance.now();
  await bench.api.ok("POST", HDS_PATH, dataSource(name));
  const posted = performance.now();
  const [finalizerAt, readyAt] = await Promise.all([finalizer, ready]);
  return { posted: posted - start, finalizer: finalizerAt - start, ready: readyAt - start };
}

/** The signed node API's load on every node in parallel: the calls the reconciler's fan-out makes. */
async function rawFanOut(bench: Bench, name: string): Promise<number> {
  const start = performance.now();
  const results = await Promise.all(bench.nodes.map((node) => node.loadDataSource(name)));
  const elapsed = performance.now() - start;
  const failed = results.filter((r) => !r.success);
  if (failed.length > 0) throw new Error(`raw load of ${name}: ${JSON.stringify(failed)}`);
  return elapsed;
}

async function managementStatus(bench: Bench, name: string): Promise<number> {
  const start = performance.now();
  const { nodes } = await bench.management.dataSourceStatus(name);
  const elapsed = performance.now() - start;
  if (nodes.length !== bench.nodes.length || nodes.some((n) => n.status !== "attached"))
    throw new Error(`status of ${name} through the management API: ${JSON.stringify(nodes)}`);
  return elapsed;
}

async function managementLoad(bench: Bench, name: string): Promise<number> {
  const start = performance.now();
  const result = await bench.management.loadDataSource(name);
  const elapsed = performance.now() - start;
  if (!result.success)
    throw new Error(`load of ${name} through the management API: ${JSON.stringify(result)}`);
  return elapsed;
}

interface Round {
  apply: ApplySample;
  raw: number;
  status: number;
  load: number;
}

/** One round: a new resource to Ready, then the three baselines on it, so all see the same machine. */
async function round(bench: Bench, name: string, size: number): Promise<Round> {
  const apply = await applyUntilReady(bench, name, size);
  return {
    apply,
    raw: await rawFanOut(bench, name),
    status: await managementStatus(bench, name),
    load: await managementLoad(bench, name),
  };
}

async function measureApply(bench: Bench, size: number, settings: Settings): Promise<ApplyRow> {
  await scaleTo(bench, size);
  for (let i = 0; i < settings.warmup; i++) await round(bench, `warm${size}n${i + 1}`, size);
  const before = await operatorCounters(bench.operator);
  const rounds: Round[] = [];
  const start = performance.now();
  for (let i = 0; i < settings.iterations; i++) rounds.push(await round(bench, `ds${size}n${i + 1}`, size));
  const after = await operatorCounters(bench.operator);
  const reconciles = after.reconciles - before.reconciles;
  const fanOuts = after.loadFanOuts - before.loadFanOuts;
  const row: ApplyRow = {
    nodes: size,
    posted: stats(rounds.map((r) => r.apply.posted)),
    finalizer: stats(rounds.map((r) => r.apply.finalizer)),
    ready: stats(rounds.map((r) => r.apply.ready)),
    rawFanOut: stats(rounds.map((r) => r.raw)),
    managementStatus: stats(rounds.map((r) => r.status)),
    managementLoad: stats(rounds.map((r) => r.load)),
    reconcilesPerResource: reconciles / settings.iterations,
    reconcileMeanMs: reconciles
      ? ((after.reconcileSeconds - before.reconcileSeconds) * 1000) / reconciles
      : NaN,
    reconcileErrors: after.reconcileErrors - before.reconcileErrors,
    loadFanOutsPerResource: fanOuts / settings.iterations,
    loadFanOutMeanMs: fanOuts ? ((after.loadFanOutSeconds - before.loadFanOutSeconds) * 1000) / fanOuts : NaN,
  };
  log(
    `${size} node(s): ${settings.iterations} resources in ${since(start)}: Ready p50 ${ms(row.ready.p50)} ms, ` +
      `max ${ms(row.ready.max)} ms; raw fan-out p50 ${ms(row.rawFanOut.p50)} ms (load average ${loadAverage()})`,
  );
  return row;
}

// ---- phase 2: memory with many resources ----------------------------------------------------

/** Runs `run` on every index below `count`, `concurrency` at a time. */
async function pool(
  count: number,
  concurrency: number,
  run: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < count) await run(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, loop));
}

/** Deletes every HugrDataSource of phase 1 and waits until the operator's clean-up let them go. */
async function deleteAll(bench: Bench, concurrency: number): Promise<void> {
  const start = performance.now();
  const names = [...bench.watch.latest.keys()];
  await pool(names.length, concurrency, async (i) => {
    await bench.api.ok("DELETE", `${HDS_PATH}/${names[i]}`);
  });
  await waitUntil("the phase-1 resources deleted", SCALE_TIMEOUT_MS, () =>
    Promise.resolve(bench.watch.latest.size === 0),
  );
  log(`deleted the ${names.length} resources of phase 1 (unloaded everywhere) in ${since(start)}`);
}

/** Samples the operator's RSS every RSS_SAMPLE_MS until stopped; resolves with the largest. */
function rssPeak(pid: number | undefined): { stop: () => number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), RSS_SAMPLE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}

/** Counts the phase-2 resources that are Ready on every node, with a progress line every 100. */
function readyCounter(bench: Bench, size: number, start: number): { ready: Set<string>; stop: () => void } {
  const ready = new Set<string>();
  const onAll = readyOn(size);
  const stop = bench.watch.listen((source, type) => {
    const name = source.metadata.name ?? "";
    if (!name.startsWith("mem") || type === "DELETED" || ready.has(name) || !onAll(source)) return;
    ready.add(name);
    if (ready.size % PROGRESS_EVERY === 0)
      log(`  ${ready.size} Ready on ${size} nodes (${since(start)}, load average ${loadAverage()})`);
  });
  return { ready, stop };
}

async function measureMemory(
  bench: Bench,
  settings: Settings,
  startup: OperatorMemory,
): Promise<MemoryResult> {
  const pid = bench.operator.child.pid;
  const size = bench.nodes.length;
  await deleteAll(bench, settings.concurrency);
  const idle = await sampleOperator(bench.operator, `idle, ${size} nodes, no resources`);
  const before = await operatorCounters(bench.operator);

  log(`creating ${settings.resources} HugrDataSources, ${settings.concurrency} at a time`);
  const peak = rssPeak(pid);
  const start = performance.now();
  const counter = readyCounter(bench, size, start);
  let created = 0;
  await pool(settings.resources, settings.concurrency, async (i) => {
    await bench.api.ok("POST", HDS_PATH, dataSource(`mem${String(i + 1).padStart(4, "0")}`));
    if (++created % PROGRESS_EVERY === 0)
      log(
        `  ${created} created, ${counter.ready.size} Ready, operator RSS ${ms(rssMb(pid))} MB, ` +
          `${openSockets(pid)} sockets`,
      );
  });
  const createdMs = performance.now() - start;
  let allReadyMs: number | undefined;
  try {
    await waitUntil("every resource Ready", Math.max(0, settings.timeoutMs - createdMs), () =>
      Promise.resolve(counter.ready.size === settings.resources),
    );
    allReadyMs = performance.now() - start;
  } catch {
    log(`timed out: ${counter.ready.size} of ${settings.resources} Ready after ${since(start)}`);
  }
  counter.stop();
  const duringMax = peak.stop();
  const after = await sampleOperator(
    bench.operator,
    `after ${settings.resources} resources`,
    snapshotPath(settings, "after"),
  );
  const counters = await operatorCounters(bench.operator);
  return {
    nodes: size,
    resources: settings.resources,
    startup,
    idle,
    duringMax,
    after,
    createdMs,
    allReadyMs,
    readyCount: counter.ready.size,
    reconciles: counters.reconciles - before.reconciles,
    reconcileErrors: counters.reconcileErrors - before.reconcileErrors,
    workerRssMb: workerRss(),
  };
}

function workerRss(): RssWindow | undefined {
  const values = [...resources.workers.values()]
    .map((w) => rssMb(w.child.pid))
    .filter((v) => !Number.isNaN(v));
  if (values.length === 0) return undefined;
  return { last: stats(values).p50, max: Math.max(...values) };
}

// ---- report ---------------------------------------------------------------------------------

function describeMachine(): Machine {
  const version = (file: string, args: string[]): string => {
    try {
      return execFileSync(file, args, { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  return {
    ...describeBaseMachine(),
    postgres: version(join(findPostgresBinDir(), "postgres"), ["--version"]),
    kubernetes: version(join(findEnvtestAssets(), "kube-apiserver"), ["--version"]),
  };
}

function machineLine(m: Machine): string {
  return `${machineSummary(m)}, ${m.postgres}, kube-apiserver ${m.kubernetes.replace(/^Kubernetes /, "")}`;
}

const verdict = (met: boolean): string => (met ? "met" : "MISSED");
const triple = (s: Stats): string[] => [ms(s.p50), ms(s.p90), ms(s.max)];

function printApply(rows: ApplyRow[]): void {
  console.log("\nApply -> Ready of a new HugrDataSource, ms from before the POST (admin token, watch)");
  console.log(
    formatTable(
      ["nodes", "runs", "POST answered p50", "finalizer seen p50", "Ready p50", "p90", "max"],
      rows.map((r) => [
        String(r.nodes),
        String(r.ready.n),
        ms(r.posted.p50),
        ms(r.finalizer.p50),
        ...triple(r.ready),
      ]),
    ),
  );
  console.log("\nBaselines in the same rounds, ms (signed calls with the cluster secret)");
  console.log(
    formatTable(
      [
        "nodes",
        "raw load fan-out p50",
        "p90",
        "max",
        "mgmt GET status p50",
        "p90",
        "max",
        "mgmt POST load p50",
        "p90",
        "max",
        "Ready - raw (p50)",
      ],
      rows.map((r) => [
        String(r.nodes),
        ...triple(r.rawFanOut),
        ...triple(r.managementStatus),
        ...triple(r.managementLoad),
        ms(r.ready.p50 - r.rawFanOut.p50),
      ]),
    ),
  );
  console.log("\nInside the operator over the measured rounds (its /metrics), per created resource");
  console.log(
    formatTable(
      ["nodes", "reconciles", "reconcile mean ms", "errors", "load fan-outs", "load fan-out mean ms"],
      rows.map((r) => [
        String(r.nodes),
        r.reconcilesPerResource.toFixed(2),
        ms(r.reconcileMeanMs),
        String(r.reconcileErrors),
        r.loadFanOutsPerResource.toFixed(2),
        ms(r.loadFanOutMeanMs),
      ]),
    ),
  );
}

function printMemory(m: MemoryResult): void {
  console.log(`\nOperator memory (RSS of operator/dist/main.js, MB), cluster of ${m.nodes} node(s)`);
  const states: [string, number, OperatorMemory][] = [
    ["after start-up (1 node)", 0, m.startup],
    ["idle before (phase 1's deleted)", 0, m.idle],
    [`after, over ${RSS_WINDOW_MS / 1000} s`, m.resources, m.after],
  ];
  const windowRow = ([state, count, o]: [string, number, OperatorMemory]): string[] => [
    state,
    String(count),
    ms(o.last),
    ms(o.max),
    ms(o.heapUsed),
    ms(o.heapTotal),
    ms(o.external),
    String(o.sockets),
  ];
  const during = [
    "while creating + reconciling",
    String(m.resources),
    "-",
    ms(m.duringMax),
    "-",
    "-",
    "-",
    "-",
  ];
  console.log(
    formatTable(
      ["state", "resources", "RSS last", "RSS max", "heap used", "heap total", "external", "sockets"],
      [windowRow(states[0]!), windowRow(states[1]!), during, windowRow(states[2]!)],
    ),
  );
  console.log("\nThe same states right after a full GC forced through the operator's inspector, MB");
  console.log(
    formatTable(
      ["state", "resources", "RSS", "anon", "file (code)", "heap used", "heap total"],
      states.map(([state, count, o]) => [
        state,
        String(count),
        ms(o.afterGc?.rss),
        ms(o.afterGc?.anon),
        ms(o.afterGc?.file),
        ms(o.afterGc?.heapUsed),
        ms(o.afterGc?.heapTotal),
      ]),
    ),
  );
  console.log(
    `(RSS over ${RSS_WINDOW_MS / 1000} s, sampled every ${RSS_SAMPLE_MS / 1000} s, before any GC is forced; ` +
      "heap and external from the operator's /metrics)",
  );
  const ready =
    m.allReadyMs === undefined
      ? `NOT all Ready: ${m.readyCount} of ${m.resources} within the timeout`
      : `all ${m.resources} Ready on ${m.nodes} nodes ${(m.allReadyMs / 1000).toFixed(1)} s after the first POST`;
  console.log(
    `created in ${(m.createdMs / 1000).toFixed(1)} s; ${ready}; ${m.reconciles} reconciles ` +
      `(${m.reconcileErrors} errors)`,
  );
  if (m.workerRssMb)
    console.log(
      `work nodes with the resources loaded: RSS p50 ${ms(m.workerRssMb.last)} MB, max ${ms(m.workerRssMb.max)} MB`,
    );
}

interface Verdicts {
  readyMaxAtLargest: number | undefined;
  readyMet: boolean | undefined;
  operatorRssMb: number | undefined;
  memoryMet: boolean | undefined;
}

function verdicts(rows: ApplyRow[], memory: MemoryResult | undefined): Verdicts {
  const largest = rows.at(-1);
  const rss = memory ? Math.max(memory.after.max, memory.duringMax) : undefined;
  return {
    readyMaxAtLargest: largest?.ready.max,
    readyMet: largest ? rows.every((r) => r.ready.max <= TARGET_READY_MS) : undefined,
    operatorRssMb: rss,
    memoryMet:
      memory && memory.resources >= TARGET_RESOURCES && rss !== undefined
        ? rss <= TARGET_OPERATOR_RSS_MB
        : undefined,
  };
}

function printVerdicts(v: Verdicts, rows: ApplyRow[], memory: MemoryResult | undefined): void {
  console.log("\nTargets (DESIGN.md):");
  const sizes = rows.map((r) => r.nodes).join(", ");
  console.log(
    v.readyMet === undefined
      ? "  apply -> Ready within 2 s: not measured"
      : `  apply -> Ready on all nodes within ${TARGET_READY_MS} ms (every run, ${sizes} nodes): ` +
          `max ${rows.map((r) => ms(r.ready.max)).join(" / ")} ms: ${verdict(v.readyMet)}`,
  );
  console.log(
    v.memoryMet === undefined
      ? `  operator under ${TARGET_OPERATOR_RSS_MB} MB with ${TARGET_RESOURCES} resources: not measured` +
          (memory ? ` (${memory.resources} resources; largest RSS ${ms(v.operatorRssMb)} MB)` : "")
      : `  operator under ${TARGET_OPERATOR_RSS_MB} MB RSS with ${memory?.resources} resources: largest ` +
          `${ms(v.operatorRssMb)} MB: ${verdict(v.memoryMet)}`,
  );
}

// ---- lifecycle ------------------------------------------------------------------------------

/** Stops the work nodes, the operator, the apiserver and etcd, and PostgreSQL. Safe to call more than once. */
const cleanup = teardownOnce(async (graceMs) => {
  resources.watch?.close();
  const stop = async (proc: RunningProcess): Promise<void> => {
    const timer = setTimeout(() => proc.child.kill("SIGKILL"), graceMs);
    await proc.stop("SIGTERM");
    clearTimeout(timer);
  };
  await Promise.all([...resources.workers.values()].map(stop));
  resources.workers.clear();
  if (resources.operator) await stop(resources.operator);
  resources.operator = undefined;
  await Promise.all([resources.env?.stop(), resources.postgres?.stop()]);
  resources.env = undefined;
  resources.postgres = undefined;
});

function installSignalHandlers(): void {
  exitOnSignals({
    progress,
    stopping: "the work nodes, the operator, the apiserver and PostgreSQL",
    cleanup,
    graceMs: INTERRUPT_GRACE_MS,
    // The harnesses kill etcd, the apiserver and PostgreSQL on exit; the node processes are ours.
    killOnExit: () => {
      for (const worker of resources.workers.values()) worker.child.kill("SIGKILL");
      resources.operator?.child.kill("SIGKILL");
    },
  });
}

async function main(settings: Settings): Promise<number> {
  installSignalHandlers();
  const machine = describeMachine();
  log(`machine: ${machineLine(machine)}; load average ${loadAverage()}`);
  log(
    `settings: sizes ${settings.sizes.join(",")}, ${settings.iterations} resources per size ` +
      `(+${settings.warmup} warm-up), ${settings.resources} resources for memory, ${settings.concurrency} at a time`,
  );
  if (settings.profileDir)
    log(`the operator runs with --cpu-prof, its profile in ${settings.profileDir}: the numbers are slower`);
  log(`the operator runs with NODE_OPTIONS "${settings.operatorNodeOptions}"`);
  const bench = await setUp(settings);
  const startup = await sampleOperator(bench.operator, "after start-up, 1 node, no resources");

  log("phase 1: apply -> Ready of a new HugrDataSource");
  const rows: ApplyRow[] = [];
  for (const size of settings.sizes) {
    if (settings.iterations > 0) rows.push(await measureApply(bench, size, settings));
    else await scaleTo(bench, size); // --iterations 0: the cluster only grows, for phase 2
  }

  let memory: MemoryResult | undefined;
  if (settings.resources > 0) {
    log(`phase 2: operator memory with ${settings.resources} HugrDataSources on ${bench.nodes.length} nodes`);
    memory = await measureMemory(bench, settings, startup);
  }

  const cleanupStart = performance.now();
  await cleanup();
  log(`stopped the work nodes, the operator, the apiserver and PostgreSQL in ${since(cleanupStart)}`);

  if (rows.length > 0) printApply(rows);
  if (memory) printMemory(memory);
  const v = verdicts(rows, memory);
  printVerdicts(v, rows, memory);
  console.log(`\nmachine: ${machineLine(machine)}`);
  console.log(
    JSON.stringify({
      machine,
      settings,
      apply: rows,
      memory,
      targets: {
        readyMs: TARGET_READY_MS,
        operatorRssMb: TARGET_OPERATOR_RSS_MB,
        resources: TARGET_RESOURCES,
      },
      verdicts: v,
    }),
  );
  return 0;
}

const settings = parseCommandLine();
try {
  process.exitCode = await main(settings);
} catch (error) {
  if (!progress.interrupted) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    const tail = resources.operator?.output().trimEnd().split("\n").slice(-20).join("\n");
    if (tail) console.error(`--- the operator's last log lines ---\n${tail}`);
  }
  await cleanup();
  process.exitCode = progress.interrupted ? EXIT_INTERRUPTED : EXIT_FAILURE;
}
