/**
 * Test harness: a real kube-apiserver on a real etcd (envtest style, as controller-runtime's envtest
 * starts them), and optionally kube-controller-manager, for the operator's apiserver tier.
 *
 * Each {@link startEnvtest} runs the programs on free loopback ports in a fresh temp directory: etcd, then
 * kube-apiserver with RBAC authorization, a static admin token (group system:masters), service-account
 * signing keys and the ServiceAccount admission plugin disabled (there is no kubelet: pods never run).
 * The binaries come from KUBEBUILDER_ASSETS, else from setup-envtest's cache folder (newest version
 * present), where `make envtest` puts them. Missing binaries are an Error saying so, never a skip.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { once } from "node:events";
import { accessSync, constants, existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../worker/test/harness/net.js";

/** What a kubectl run gave: its exit code (-1 when killed) and its output. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running kube-apiserver (and etcd, and optionally kube-controller-manager). */
export interface Envtest {
  /** `https://127.0.0.1:PORT`. */
  server: string;
  /** Bearer token of the `admin` user (group system:masters). */
  token: string;
  /** A kubeconfig for `server` as admin (CA from the apiserver's self-signed cert-dir). */
  kubeconfigPath: string;
  /** The PEM file that verifies the apiserver's serving certificate. */
  caPath: string;
  /** The temp directory holding data, certificates, keys and the kubeconfig; removed by stop(). */
  dir: string;
  /** Runs kubectl against this apiserver as admin; never throws for a non-zero exit code. */
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** Applies crds/*.yaml server-side and waits until each is Established and served. */
  applyCrds(): Promise<void>;
  /** Stops kube-apiserver alone (etcd and its data stay), as an apiserver outage does. Idempotent. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again after stopApiserver(): same port, etcd, certificates and keys. */
  startApiserver(): Promise<void>;
  /** stopApiserver(), then startApiserver(): clients see the same server, restarted. */
  restartApiserver(): Promise<void>;
  /** Stops the programs (SIGTERM, then SIGKILL after a grace) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startEnvtest}. */
export interface StartEnvtestOptions {
  /** Also run kube-controller-manager (Deployment -> ReplicaSet, garbage collection, ...). */
  controllerManager?: boolean;
}

/** A program started by this harness, with the tail of what it printed. */
interface Program {
  name: string;
  child: ChildProcess;
  log: string;
}

/** The files of one environment, in its temp directory. */
interface Layout {
  dir: string;
  certs: string;
  saKey: string;
  saPub: string;
  tokens: string;
  kubeconfig: string;
  kubectlCache: string;
}

/** How kube-apiserver was started, to start it again the same way. */
interface ApiserverLaunch {
  file: string;
  args: string[];
  server: string;
  token: string;
  caPath: string;
}

/** One started environment, as stop() and the exit hook see it. */
interface Running {
  layout: Layout;
  programs: Program[];
  apiserver?: ApiserverLaunch;
}

const HOST = "127.0.0.1";
const APISERVER = "kube-apiserver";
const CORE_BINARIES = ["etcd", APISERVER];
const CONTROLLER_MANAGER = "kube-controller-manager";
const CRD_DIR = fileURLToPath(new URL("../../../crds/", import.meta.url));
const LOG_KEEP_CHARS = 64_000;
const LOG_TAIL_LINES = 25;
const ETCD_READY_MS = 30_000;
const APISERVER_READY_MS = 90_000;
const CONTROLLER_MANAGER_READY_MS = 60_000;
const CRD_READY_MS = 30_000;
const KUBECTL_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;
const POLL_MS = 100;

/** Environments started by this process and not yet stopped (for the exit hook). */
const running = new Set<Running>();
let exitHookInstalled = false;

/** Starts etcd and kube-apiserver (and kube-controller-manager when asked) on free loopback ports. */
export async function startEnvtest(options: StartEnvtestOptions = {}): Promise<Envtest> {
  const withControllerManager = options.controllerManager ?? false;
  const assets = findEnvtestAssets(withControllerManager);
  const kubectl = findKubectl(assets);
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const layout = await makeLayout();
    const env: Running = { layout, programs: [] };
    running.add(env);
    installExitHook();
    try {
      return await startPrograms(env, { assets, kubectl, withControllerManager });
    } catch (error) {
      lastError = error;
      await stopRunning(env);
      if (!portTaken(env)) break;
    }
  }
  throw lastError;
}

/**
 * The folder holding etcd and kube-apiserver (and kube-controller-manager when `withControllerManager`):
 * KUBEBUILDER_ASSETS if set, else the newest `<version>-<os>-<arch>` folder of setup-envtest's cache
 * (`${XDG_DATA_HOME:-~/.local/share}/kubebuilder-envtest/k8s`). Throws saying to run `make envtest`.
 */
export function findEnvtestAssets(withControllerManager = false): string {
  const needed = withControllerManager ? [...CORE_BINARIES, CONTROLLER_MANAGER] : CORE_BINARIES;
  const fromEnv = process.env["KUBEBUILDER_ASSETS"];
  if (fromEnv) {
    const missing = needed.filter((b) => !isExecutable(join(fromEnv, b)));
    if (missing.length === 0) return fromEnv;
    throw new Error(
      `KUBEBUILDER_ASSETS=${fromEnv} lacks ${missing.join(", ")}. Run \`make envtest\` (it builds etcd, ` +
        "kube-apiserver and kube-controller-manager once and prints their folder), then " +
        '`export KUBEBUILDER_ASSETS="$(make -s envtest)"`, or unset KUBEBUILDER_ASSETS.',
    );
  }
  const cache = join(
    process.env["XDG_DATA_HOME"] || join(homedir(), ".local", "share"),
    "kubebuilder-envtest",
    "k8s",
  );
  const found = cachedVersions(cache).find((dir) => needed.every((b) => isExecutable(join(dir, b))));
  if (found) return found;
  throw new Error(
    `The tests on a real kube-apiserver need ${needed.join(", ")}: KUBEBUILDER_ASSETS is unset and ` +
      `${cache} holds no ${platformSuffix()} folder with them. Run \`make envtest\` (it builds them once ` +
      "from the Go module proxy into that folder), or set KUBEBUILDER_ASSETS to a folder holding them.",
  );
}

/** The `<version>-<os>-<arch>` folders of setup-envtest's cache for this platform, newest first. */
function cachedVersions(cache: string): string[] {
  if (!existsSync(cache)) return [];
  const suffix = `-${platformSuffix()}`;
  return readdirSync(cache)
    .filter((name) => name.endsWith(suffix) && /^\d+\.\d+\.\d+$/.test(name.slice(0, -suffix.length)))
    .map((name) => ({ name, version: name.slice(0, -suffix.length).split(".").map(Number) }))
    .sort((a, b) => compareVersions(b.version, a.version))
    .map(({ name }) => join(cache, name));
}

/** Orders numeric version parts, e.g. [1, 34, 4] before [1, 35, 0]. */
function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `<os>-<arch>` as setup-envtest names its folders, e.g. linux-amd64. */
function platformSuffix(): string {
  const arch = { x64: "amd64", arm64: "arm64", ppc64: "ppc64le", s390x: "s390x" }[process.arch as string];
  return `${process.platform}-${arch ?? process.arch}`;
}

/** kubectl: from the assets folder (setup-envtest puts one there), else the first one on PATH. */
export function findKubectl(assets?: string): string {
  const dirs = [...(assets ? [assets] : []), ...(process.env["PATH"] ?? "").split(delimiter).filter(Boolean)];
  const found = dirs.map((d) => join(d, "kubectl")).find(isExecutable);
  if (found) return found;
  throw new Error(
    `kubectl not found in ${assets ?? "the assets folder"} nor on PATH: run 'make envtest', which builds it ` +
      "beside the apiserver (a kubectl from PATH also works when within the apiserver's version skew)",
  );
}

/** True when `file` is a regular file that may be executed. */
function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Creates the temp directory with the service-account keys and the token file. */
async function makeLayout(): Promise<Layout> {
  const dir = await mkdtemp(join(tmpdir(), "hugr-envtest-"));
  const layout: Layout = {
    dir,
    certs: join(dir, "certs"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
    tokens: join(dir, "tokens.csv"),
    kubeconfig: join(dir, "kubeconfig"),
    kubectlCache: join(dir, "kubectl-cache"),
  };
  await mkdir(layout.certs);
  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  await writeFile(layout.saKey, keys.privateKey, { mode: 0o600 });
  await writeFile(layout.saPub, keys.publicKey);
  return layout;
}

interface StartContext {
  assets: string;
  kubectl: string;
  withControllerManager: boolean;
}

/** Starts the programs of `env` one after the other, each ready before the next. */
async function startPrograms(env: Running, ctx: StartContext): Promise<Envtest> {
  const { layout } = env;
  const token = randomBytes(24).toString("hex");
  await writeFile(layout.tokens, `${token},admin,admin,system:masters\n`, { mode: 0o600 });
  const taken: number[] = [];
  const etcdPort = await nextFreePort(taken);
  const peerPort = await nextFreePort(taken);
  const apiPort = await nextFreePort(taken);
  launch(env, "etcd", join(ctx.assets, "etcd"), etcdArgs(layout, etcdPort, peerPort));
  await waitFor(env, `etcd on port ${etcdPort}`, ETCD_READY_MS, () => etcdHealthy(etcdPort));
  const server = `https://${HOST}:${apiPort}`;
  const caPath = join(layout.certs, "apiserver.crt");
  const args = apiserverArgs(layout, etcdPort, apiPort);
  env.apiserver = { file: join(ctx.assets, APISERVER), args, server, token, caPath };
  await startApiserver(env);
  await writeFile(layout.kubeconfig, kubeconfigYaml({ server, token, caPath }), { mode: 0o600 });
  if (ctx.withControllerManager) await startControllerManager(env, ctx.assets);
  return makeEnvtest(env, { server, token, caPath, kubectl: ctx.kubectl });
}

/** A port that was free a moment ago and is not in `taken` yet; adds it to `taken`. */
async function nextFreePort(taken: number[]): Promise<number> {
  let port = await freePort(HOST);
  while (taken.includes(port)) port = await freePort(HOST);
  taken.push(port);
  return port;
}

/** etcd's flags: a single member with its data in the temp dir, no fsync. */
function etcdArgs(layout: Layout, clientPort: number, peerPort: number): string[] {
  const client = `http://${HOST}:${clientPort}`;
  const peer = `http://${HOST}:${peerPort}`;
  return [
    "--name=default",
    `--data-dir=${join(layout.dir, "etcd")}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    "--unsafe-no-fsync",
  ];
}

/** kube-apiserver's flags, as controller-runtime's envtest sets them. */
function apiserverArgs(layout: Layout, etcdPort: number, port: number): string[] {
  return [
    `--etcd-servers=http://${HOST}:${etcdPort}`,
    `--bind-address=${HOST}`,
    `--advertise-address=${HOST}`,
    `--secure-port=${port}`,
    `--cert-dir=${layout.certs}`,
    `--service-account-issuer=https://${HOST}:${port}`,
    `--service-account-key-file=${layout.saPub}`,
    `--service-account-signing-key-file=${layout.saKey}`,
    `--token-auth-file=${layout.tokens}`,
    "--authorization-mode=RBAC",
    "--disable-admission-plugins=ServiceAccount",
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
  ];
}

/** Starts kube-apiserver as `env.apiserver` says and waits for its /readyz; a no-op while it runs. */
async function startApiserver(env: Running): Promise<void> {
  const spec = env.apiserver;
  if (!spec) throw new Error("envtest: kube-apiserver was never configured in this environment");
  if (env.programs.some((p) => p.name === APISERVER && !exited(p))) return;
  launch(env, APISERVER, spec.file, spec.args);
  await waitFor(env, `kube-apiserver ${spec.server}/readyz`, APISERVER_READY_MS, () =>
    apiserverReady(spec.server, spec.token, spec.caPath),
  );
}

/**
 * Stops kube-apiserver (SIGTERM, as a rolling restart does) and forgets it, so that waitFor() does
 * not take its exit for a crash; etcd and the temp dir stay.
 */
async function stopApiserver(env: Running): Promise<void> {
  for (const program of env.programs.filter((p) => p.name === APISERVER)) {
    await stopProgram(program);
    env.programs.splice(env.programs.indexOf(program), 1);
  }
}

/** Starts kube-controller-manager as admin and waits for its /healthz. */
async function startControllerManager(env: Running, assets: string): Promise<void> {
  const { layout } = env;
  const port = await freePort(HOST);
  const certs = join(layout.dir, "controller-manager-certs");
  await mkdir(certs);
  const args = [
    `--kubeconfig=${layout.kubeconfig}`,
    `--authentication-kubeconfig=${layout.kubeconfig}`,
    `--authorization-kubeconfig=${layout.kubeconfig}`,
    "--leader-elect=false",
    "--controllers=*",
    `--bind-address=${HOST}`,
    `--secure-port=${port}`,
    `--cert-dir=${certs}`,
    `--service-account-private-key-file=${layout.saKey}`,
    `--root-ca-file=${join(layout.certs, "apiserver.crt")}`,
    "--use-service-account-credentials=false",
    "--service-cluster-ip-range=10.0.0.0/24",
  ];
  launch(env, CONTROLLER_MANAGER, join(assets, CONTROLLER_MANAGER), args);
  await waitFor(
    env,
    `kube-controller-manager https://${HOST}:${port}/healthz`,
    CONTROLLER_MANAGER_READY_MS,
    () => httpsGet(`https://${HOST}:${port}/healthz`, {}).then((r) => r.status === 200),
  );
}

/** Spawns a program of `env`, keeping the tail of its output. */
function launch(env: Running, name: string, file: string, args: string[]): Program {
  const child = spawn(file, args, { cwd: env.layout.dir, stdio: ["ignore", "pipe", "pipe"] });
  const program: Program = { name, child, log: "" };
  const append = (chunk: Buffer | string): void => {
    program.log = (program.log + chunk.toString()).slice(-LOG_KEEP_CHARS);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  child.once("error", (error) => append(`\n[harness] could not run ${file}: ${error.message}\n`));
  env.programs.push(program);
  return program;
}

/** True once the process has exited (or failed to spawn). */
function exited(program: Program): boolean {
  return (
    program.child.exitCode !== null || program.child.signalCode !== null || program.child.pid === undefined
  );
}

/** The last lines a program printed, headed by its name and state, for error messages. */
function tail(program: Program): string {
  const lines = program.log.trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
  const { exitCode, signalCode, pid } = program.child;
  const state =
    exitCode !== null || signalCode !== null ? `exited (${exitCode ?? signalCode})` : `pid ${pid}`;
  return `--- ${program.name}, ${state}, last ${LOG_TAIL_LINES} lines of its log ---\n${lines || "(no output)"}`;
}

/** Every program's tail, for error messages. */
function tails(env: Running): string {
  return env.programs.map(tail).join("\n");
}

/**
 * Polls `probe` until it resolves true; throws with the programs' log tails when one of them exits or
 * the timeout passes.
 */
async function waitFor(
  env: Running,
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    const dead = env.programs.find(exited);
    if (dead) throw new Error(`envtest: ${dead.name} exited while waiting for ${what}\n${tails(env)}`);
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(POLL_MS);
  }
  const last = lastError ? ` (last error: ${lastError})` : "";
  throw new Error(`envtest: ${what} not ready within ${timeoutMs} ms${last}\n${tails(env)}`);
}

/** True when a failed start looks like a port taken by another process between freePort and bind. */
function portTaken(env: Running): boolean {
  return env.programs.some((p) => /address already in use/i.test(p.log));
}

/** etcd's /health says healthy. */
async function etcdHealthy(port: number): Promise<boolean> {
  const response = await fetch(`http://${HOST}:${port}/health`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) return false;
  const body = (await response.json()) as { health?: string };
  return body.health === "true";
}

/** kube-apiserver's /readyz answers 200 over TLS verified with the CA from its cert-dir. */
async function apiserverReady(server: string, token: string, caPath: string): Promise<boolean> {
  if (!existsSync(caPath)) return false;
  const ca = await readFile(caPath, "utf8");
  const response = await httpsGet(`${server}/readyz`, { token, ca });
  return response.status === 200;
}

interface HttpsOptions {
  token?: string;
  /** PEM to verify the server with; without it, the certificate is not verified. */
  ca?: string;
}

/** A GET over HTTPS (fetch cannot take a CA or skip verification without undici's Agent). */
async function httpsGet(url: string, options: HttpsOptions): Promise<{ status: number; body: string }> {
  const headers = options.token ? { authorization: `Bearer ${options.token}` } : undefined;
  const tls = options.ca ? { ca: options.ca } : { rejectUnauthorized: false };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, timeout: 5_000, ...tls }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Arguments for {@link kubeconfigYaml}. */
export interface KubeconfigOptions {
  server: string;
  token: string;
  /** PEM file verifying the server; without it the kubeconfig skips TLS verification. */
  caPath?: string;
}

/** A kubeconfig with one cluster, one token user and one current context, all named `envtest`. */
export function kubeconfigYaml(options: KubeconfigOptions): string {
  const tls = options.caPath
    ? `certificate-authority: ${JSON.stringify(options.caPath)}`
    : "insecure-skip-tls-verify: true";
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "  - name: envtest",
    "    cluster:",
    `      server: ${JSON.stringify(options.server)}`,
    `      ${tls}`,
    "users:",
    "  - name: envtest",
    "    user:",
    `      token: ${JSON.stringify(options.token)}`,
    "contexts:",
    "  - name: envtest",
    "    context:",
    "      cluster: envtest",
    "      user: envtest",
    "current-context: envtest",
    "",
  ].join("\n");
}

interface Endpoint {
  server: string;
  token: string;
  caPath: string;
  kubectl: string;
}

/** The public handle of a started environment. */
function makeEnvtest(env: Running, endpoint: Endpoint): Envtest {
  const { layout } = env;
  const kubectl = (args: string[], input?: string): Promise<KubectlResult> =>
    runKubectl(
      endpoint.kubectl,
      [`--kubeconfig=${layout.kubeconfig}`, `--cache-dir=${layout.kubectlCache}`, ...args],
      input,
    );
  return {
    server: endpoint.server,
    token: endpoint.token,
    kubeconfigPath: layout.kubeconfig,
    caPath: endpoint.caPath,
    dir: layout.dir,
    kubectl,
    applyCrds: () => applyCrds(env, endpoint, kubectl),
    stopApiserver: () => stopApiserver(env),
    startApiserver: () => startApiserver(env),
    restartApiserver: async () => {
      await stopApiserver(env);
      await startApiserver(env);
    },
    stop: () => stopRunning(env),
  };
}

/** Runs kubectl with `args`, feeding it `input`; resolves with its exit code and output. */
async function runKubectl(kubectl: string, args: string[], input?: string): Promise<KubectlResult> {
  const child = spawn(kubectl, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.on("error", () => undefined); // kubectl may exit before reading its input
  child.stdin.end(input ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), KUBECTL_TIMEOUT_MS);
  try {
    const [code] = (await once(child, "close")) as [number | null];
    return { code: code ?? -1, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** The fields of a CustomResourceDefinition that the wait below needs. */
interface CrdInfo {
  metadata: { name: string };
  spec: { group: string; names: { plural: string }; versions: { name: string; served: boolean }[] };
}

/**
 * Applies crds/*.yaml server-side, waits until every CRD is Established, its resources answer and its
 * OpenAPI v3 document is published (kubectl explain), then drops kubectl's discovery cache.
 */
async function applyCrds(env: Running, endpoint: Endpoint, kubectl: Envtest["kubectl"]): Promise<void> {
  const applied = await kubectl([
    "apply",
    "--server-side",
    "--field-manager=hugr-envtest",
    "-f",
    CRD_DIR,
    "-o",
    "name",
  ]);
  const names = applied.stdout.split("\n").filter(Boolean);
  if (applied.code !== 0 || names.length === 0)
    throw kubectlError("apply the CRDs in " + CRD_DIR, applied, env);
  const waited = await kubectl([
    "wait",
    "--for=condition=Established",
    `--timeout=${CRD_READY_MS / 1000}s`,
    ...names,
  ]);
  if (waited.code !== 0) throw kubectlError("wait for the CRDs to be Established", waited, env);
  const got = await kubectl(["get", "-o", "json", ...names]);
  if (got.code !== 0) throw kubectlError("read the CRDs back", got, env);
  const crds = (JSON.parse(got.stdout) as { items: CrdInfo[] }).items;
  for (const crd of crds) await waitUntilServed(env, endpoint, crd);
  await rm(env.layout.kubectlCache, { recursive: true, force: true });
}

/** Waits until each served version of `crd` lists and has an OpenAPI v3 document. */
async function waitUntilServed(env: Running, endpoint: Endpoint, crd: CrdInfo): Promise<void> {
  const ca = await readFile(endpoint.caPath, "utf8");
  const { group, names } = crd.spec;
  for (const { name: version } of crd.spec.versions.filter((v) => v.served)) {
    const list = `${endpoint.server}/apis/${group}/${version}/${names.plural}?limit=1`;
    const openapi = `${endpoint.server}/openapi/v3/apis/${group}/${version}`;
    const get = (url: string): Promise<boolean> =>
      httpsGet(url, { token: endpoint.token, ca }).then((r) => r.status === 200);
    await waitFor(env, `${crd.metadata.name} ${version} to be served`, CRD_READY_MS, () => get(list));
    await waitFor(env, `${crd.metadata.name} ${version} in /openapi/v3`, CRD_READY_MS, () => get(openapi));
  }
}

/** An Error for a failed kubectl step, with its output and the apiserver's log tail. */
function kubectlError(what: string, result: KubectlResult, env: Running): Error {
  return new Error(
    `envtest: could not ${what}: kubectl exited with ${result.code}\n` +
      `stdout: ${result.stdout.trim()}\nstderr: ${result.stderr.trim()}\n${tails(env)}`,
  );
}

/** Stops the programs in reverse start order and removes the temp dir. Idempotent. */
async function stopRunning(env: Running): Promise<void> {
  if (!running.delete(env)) return;
  for (const program of [...env.programs].reverse()) await stopProgram(program);
  await rm(env.layout.dir, { recursive: true, force: true });
}

/** SIGTERM, then SIGKILL when the program has not exited after the grace period. */
async function stopProgram(program: Program): Promise<void> {
  if (exited(program)) return;
  const gone = once(program.child, "exit");
  program.child.kill("SIGTERM");
  const timer = setTimeout(() => program.child.kill("SIGKILL"), STOP_GRACE_MS);
  try {
    await gone;
  } finally {
    clearTimeout(timer);
  }
}

/** Registers, once, a synchronous kill of the programs left running when this process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const env of running) {
      for (const program of env.programs) if (!exited(program)) program.child.kill("SIGKILL");
      rmSync(env.layout.dir, { recursive: true, force: true });
    }
    running.clear();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
