/**
 * Where the operator's Kubernetes clients come from: the KubeConfig (in-cluster service account, else a
 * kubeconfig file) and the typed APIs built on it, all sharing one request timeout.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  ServerConfiguration,
  createConfiguration,
  setHeaderMiddleware,
  type Configuration,
  type Middleware,
} from "@kubernetes/client-node";

/** Where Kubernetes mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The environment variables {@link loadKubeConfig} reads. */
export interface KubeConfigEnv {
  KUBERNETES_SERVICE_HOST?: string | undefined;
  KUBERNETES_SERVICE_PORT?: string | undefined;
  KUBECONFIG?: string | undefined;
  HOME?: string | undefined;
}

/** Options for {@link loadKubeConfig}; the defaults are what a pod sees. */
export interface LoadKubeConfigOptions {
  /** Folder holding `token`, `ca.crt` (and `namespace`). Default {@link SERVICE_ACCOUNT_DIR}. */
  serviceAccountDir?: string;
}

/**
 * The operator's KubeConfig, chosen like client-go's rules (`rest.InClusterConfig`, then the loading
 * rules of kubectl):
 * 1. in a pod (KUBERNETES_SERVICE_HOST set and the service-account token mounted): the service
 *    account; the token is read from its file on every request, so rotated (bound) tokens keep working;
 * 2. else KUBECONFIG (a `:`-separated list, merged as kubectl merges it);
 * 3. else `$HOME/.kube/config`.
 *
 * Unlike client-node's `loadFromDefault`, it never falls back to `http://localhost:8080`: running with
 * no configuration at all is an Error saying what was looked for, not a stream of connection refusals.
 * The in-cluster branch mirrors `KubeConfig.loadFromCluster`, but reads host and port from `env`
 * rather than from `process.env`, so the choice and its inputs are one and the same.
 */
export function loadKubeConfig(env: KubeConfigEnv, options: LoadKubeConfigOptions = {}): KubeConfig {
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const kc = new KubeConfig();
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host && existsSync(join(saDir, "token"))) {
    loadInCluster(kc, host, env.KUBERNETES_SERVICE_PORT ?? "443", saDir);
    return kc;
  }
  const files = (env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
  if (files.length > 0) {
    loadFiles(kc, files);
    return kc;
  }
  const home = join(env.HOME || homedir(), ".kube", "config");
  if (existsSync(home)) {
    loadFiles(kc, [home]);
    return kc;
  }
  throw new Error(
    "no Kubernetes configuration: not in a pod (KUBERNETES_SERVICE_HOST unset or no token in " +
      `${saDir}), KUBECONFIG unset and ${home} absent`,
  );
}

/** The service-account configuration, as `loadFromCluster` builds it. */
function loadInCluster(kc: KubeConfig, host: string, port: string, saDir: string): void {
  const hostPart = host.includes(":") ? `[${host}]` : host; // a bare IPv6 address
  kc.loadFromClusterAndUser(
    {
      name: "inCluster",
      server: `https://${hostPart}:${port}`,
      caFile: join(saDir, "ca.crt"),
      skipTLSVerify: false,
    },
    {
      name: "inClusterUser",
      authProvider: { name: "tokenFile", config: { tokenFile: join(saDir, "token") } },
    },
  );
}

/** Loads the first file and merges the others into it, keeping the first file's current context. */
function loadFiles(kc: KubeConfig, files: string[]): void {
  const [first, ...rest] = files;
  try {
    kc.loadFromFile(first!);
    for (const file of rest) {
      const other = new KubeConfig();
      other.loadFromFile(file);
      kc.mergeConfig(other, true);
    }
  } catch (error) {
    throw new Error(`while loading the kubeconfig ${files.join(delimiter)}`, { cause: error });
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`the kubeconfig ${files.join(delimiter)} has no current context with a cluster`);
  }
}

/** The typed APIs the operator uses, all on one KubeConfig and one request timeout. */
export interface KubeClients {
  /** Generic get/list/create/delete and server-side apply of any kind (see apply.ts). */
  objects: KubernetesObjectApi;
  core: CoreV1Api;
  apps: AppsV1Api;
  /** Leases for leader election. */
  coordination: CoordinationV1Api;
  /** events.k8s.io/v1 Events (see events.ts). */
  events: EventsV1Api;
  /** The hugr.io custom resources, including their /status and /scale subresources. */
  customObjects: CustomObjectsApi;
}

/** Options for {@link createKubeClients}. */
export interface KubeClientsOptions {
  /**
   * Upper bound of one request, response body included. Default 30 s. Without it a request on a
   * connection that went silent (a dead load balancer, a frozen apiserver) never settles and holds a
   * reconcile worker or the leader's renew loop for good; client-go's default transport has the same
   * kind of bound. Watches do not go through these clients (informer.ts has its own timeouts).
   */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const USER_AGENT = "hugr-operator";

/**
 * Builds the typed APIs the operator needs. They share one configuration: the KubeConfig's current
 * cluster and credentials, a `hugr-operator` User-Agent and the request timeout. Throws when the
 * KubeConfig has no current cluster.
 *
 * `objects` is built with its constructor rather than `KubernetesObjectApi.makeApiClient`, so its
 * namespace default is `default` rather than the kubeconfig context's: the operator always names the
 * namespace of what it touches.
 */
export function createKubeClients(kc: KubeConfig, options: KubeClientsOptions = {}): KubeClients {
  const configuration = apiConfiguration(kc, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  return {
    objects: new KubernetesObjectApi(configuration),
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    coordination: new CoordinationV1Api(configuration),
    events: new EventsV1Api(configuration),
    customObjects: new CustomObjectsApi(configuration),
  };
}

/** The generated clients' configuration: server and credentials of `kc`, User-Agent, timeout. */
function apiConfiguration(kc: KubeConfig, requestTimeoutMs: number): Configuration {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the KubeConfig has no current cluster");
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: pooledAuthentication(kc) },
    middleware: [setHeaderMiddleware("User-Agent", USER_AGENT)],
    promiseMiddleware: [requestTimeout(requestTimeoutMs)],
  });
}

type RequestContext = Parameters<KubeConfig["applySecurityAuthentication"]>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * How long one connection pool serves new requests. Short, because a keep-alive connection can go
 * silent (a dead load balancer, a half-open TCP connection): every request given to it waits out the
 * request timeout, and the operator's renewals, reconciles and re-election would queue behind each
 * other (client-go guards HTTP/2 the same way with pings). A new pool every 30 s keeps most of the
 * reuse and bounds how long a silent connection can be handed out; it also picks up rotated client
 * certificates.
 */
const POOL_REFRESH_MS = 30_000;

/**
 * The KubeConfig's authentication with one keep-alive connection pool for every request. client-node
 * 2.0.1 builds a new undici Agent, so a new TLS connection that is never closed, for each request
 * (measured: 110 calls, 110 connections, 8-10 ms each against 2 ms on a reused one; the operator's
 * sockets and memory grew with the resources). Headers (tokens, re-read from their file) are still
 * applied per request; the pool is replaced every POOL_REFRESH_MS. Written by hand: client-node has
 * no option for it.
 */
function pooledAuthentication(kc: KubeConfig): {
  getName: () => string;
  applySecurityAuthentication: (context: RequestContext) => Promise<void>;
} {
  let pool: { dispatcher: Dispatcher; since: number } | undefined;
  return {
    getName: () => "pooled-kubeconfig",
    async applySecurityAuthentication(context) {
      await kc.applySecurityAuthentication(context);
      const fresh = context.getDispatcher();
      if (fresh === undefined) return;
      if (pool === undefined || Date.now() - pool.since > POOL_REFRESH_MS) {
        const previous = pool?.dispatcher;
        pool = { dispatcher: fresh, since: Date.now() };
        // Requests in flight on the old pool finish first: close() waits for them.
        if (previous) void previous.close().catch(() => undefined);
        return;
      }
      context.setDispatcher(pool.dispatcher);
      void fresh.close().catch(() => undefined); // never used: no connection was opened
    },
  };
}

/** A middleware that aborts each request (and the read of its body) after `timeoutMs`. */
function requestTimeout(timeoutMs: number): Middleware {
  return {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return Promise.resolve(context);
    },
    post: (response) => Promise.resolve(response),
  };
}
