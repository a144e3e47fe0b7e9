/**
 * The generated CRDs on a real kube-apiserver: the valid specs are accepted and defaulted, every invalid
 * case of the shared table (OpenAPI schema and CEL rules alike) is rejected with the field and message the
 * apiserver reports, and kubectl's view of the kinds (categories, explain, scale, printer columns) works.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invalidCases, validSpecs, type InvalidCase, type Kind } from "../src/api/v1alpha1/testdata.js";
import { startEnvtest, type Envtest, type KubectlResult } from "./harness/envtest.js";

const NAMESPACE = "hugr";
const API_VERSION = "hugr.io/v1alpha1";
const FIELD_MANAGER = "hugr-envtest";

let env: Envtest;

beforeAll(async () => {
  env = await startEnvtest();
  await env.applyCrds();
  await kubectlOk(["create", "namespace", NAMESPACE]);
});

afterAll(async () => {
  await env?.stop();
});

/** A custom resource of `kind` in the test namespace, as JSON (which kubectl reads as YAML). */
function manifest(kind: Kind, name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: API_VERSION, kind, metadata: { name, namespace: NAMESPACE }, spec });
}

/** Runs kubectl and fails with its output unless it exits 0; resolves with its standard output. */
async function kubectlOk(args: string[], input?: string): Promise<string> {
  const result = await env.kubectl(args, input);
  if (result.code !== 0) {
    throw new Error(
      `kubectl ${args.join(" ")} exited with ${result.code}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

/** Creates the object in a server-side dry run: validated, defaulted and admitted, never stored. */
function dryRunCreate(kind: Kind, name: string, spec: Record<string, unknown>): Promise<KubectlResult> {
  return env.kubectl(["create", "--dry-run=server", "-o", "json", "-f", "-"], manifest(kind, name, spec));
}

/** Creates or updates the object with server-side apply. */
function apply(kind: Kind, name: string, spec: Record<string, unknown>): Promise<KubectlResult> {
  const args = ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-o", "json", "-f", "-"];
  return env.kubectl(args, manifest(kind, name, spec));
}

/** The spec of the object kubectl printed as JSON. */
function specOf(result: KubectlResult): Record<string, unknown> {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { spec: Record<string, unknown> }).spec;
}

/** `text` as a literal inside a regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The cells of the header and the first row of a kubectl table. */
function table(stdout: string): { header: string[]; row: string[] } {
  const [header = "", row = ""] = stdout.trim().split("\n");
  return { header: header.trim().split(/\s+/), row: row.trim().split(/\s+/) };
}

const secretRef = { name: "hugr-db", key: "url" };
const minimal = {
  HugrCluster: { image: "ghcr.io/example/hugr-worker:1.0.0", coreDB: { urlSecretRef: secretRef } },
  HugrDataSource: { clusterRef: { name: "demo" }, type: "postgres", path: "postgres://db/analytics" },
  HugrObjectStorage: {
    clusterRef: { name: "demo" },
    type: "s3",
    scope: "my-bucket",
    endpoint: "http://minio:9000",
    credentialsSecretRef: { name: "minio-credentials", keyIDKey: "key", secretKey: "secret" },
  },
} satisfies Record<Kind, Record<string, unknown>>;

/** What the apiserver makes of each minimal spec: exactly the defaults the CRDs declare. */
const defaulted = {
  HugrCluster: {
    ...minimal.HugrCluster,
    coreDB: { urlSecretRef: secretRef, readOnly: false },
    replicas: 2,
    adminUI: true,
    serviceType: "ClusterIP",
  },
  HugrDataSource: {
    ...minimal.HugrDataSource,
    readOnly: false,
    asModule: false,
    selfDefined: false,
    disabled: false,
  },
  HugrObjectStorage: {
    ...minimal.HugrObjectStorage,
    useSSL: true,
    urlStyle: "path",
    urlCompatibility: false,
  },
} satisfies Record<Kind, Record<string, unknown>>;

const kinds = Object.keys(validSpecs) as Kind[];

describe("valid specs", () => {
  it.each(kinds)("the valid %s of the sketch is accepted as written", async (kind) => {
    const spec: Record<string, unknown> = validSpecs[kind];
    expect(specOf(await dryRunCreate(kind, "demo", spec))).toMatchObject(spec);
  });

  it.each(kinds)("a minimal %s gets exactly the declared defaults", async (kind) => {
    expect(specOf(await dryRunCreate(kind, "demo", minimal[kind]))).toEqual(defaulted[kind]);
  });

  it("defaults inside optional objects are filled in when the object is present", async () => {
    const spec = {
      ...minimal.HugrCluster,
      auth: { oidc: {} },
      autoscaling: {},
      cache: { l1: {}, l2: {} },
      podDisruptionBudget: {},
    };
    expect(specOf(await dryRunCreate("HugrCluster", "demo", spec))).toEqual({
      ...defaulted.HugrCluster,
      auth: {
        allowedAnonymous: true,
        managedApiKeys: false,
        oidc: {
          roleClaim: "x-hugr-role",
          userIdClaim: "sub",
          usernameClaim: "name",
          scopeRolePrefix: "hugr:",
          timeout: "10s",
          tlsInsecure: false,
        },
      },
      autoscaling: { enabled: false },
      cache: { l1: { enabled: false, maxSizeMB: 512 }, l2: { enabled: false } },
      podDisruptionBudget: { enabled: true },
    });
  });
});

describe("invalid specs are rejected by the apiserver", () => {
  /** Creates (dry run) the case's object, or for an update case creates `from` and then applies `spec`. */
  async function attempt(c: InvalidCase): Promise<KubectlResult> {
    const name = c.name ?? "demo";
    if (!c.from) return dryRunCreate(c.kind, name, c.spec);
    const created = await apply(c.kind, name, c.from);
    expect(created.stderr).toBe("");
    try {
      return await apply(c.kind, name, c.spec);
    } finally {
      await kubectlOk(["delete", c.kind.toLowerCase(), name, "-n", NAMESPACE, "--ignore-not-found"]);
    }
  }

  it.each(invalidCases.map((c) => [c.title, c] as const))("%s", async (_title, c) => {
    const result = await attempt(c);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${c.kind} "${c.name ?? "demo"}" is invalid`);
    expect(result.stderr).toMatch(new RegExp(`(^|[\\s\\[,])${escapeRegExp(c.field)}: `));
    if (c.message !== undefined) {
      const cel = `${escapeRegExp(c.field)}: Invalid value: "[a-z]+": ${escapeRegExp(c.message)}`;
      expect(result.stderr).toMatch(new RegExp(cel));
    }
  });

  it("the table covers at least ten cases, CEL rules included", () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(10);
    expect(invalidCases.filter((c) => c.by === "cel").length).toBeGreaterThan(0);
  });
});

describe("kubectl", () => {
  beforeAll(async () => {
    for (const kind of kinds) {
      const spec = kind === "HugrCluster" ? minimal.HugrCluster : validSpecs[kind];
      expect((await apply(kind, "demo", spec)).stderr).toBe("");
    }
  });

  it("kubectl get hugr lists the three kinds (category hugr)", async () => {
    const names = (await kubectlOk(["get", "hugr", "-n", NAMESPACE, "-o", "name"])).trim().split("\n");
    expect(names.sort()).toEqual([
      "hugrcluster.hugr.io/demo",
      "hugrdatasource.hugr.io/demo",
      "hugrobjectstorage.hugr.io/demo",
    ]);
  });

  it("kubectl explain shows the field descriptions", async () => {
    const out = await kubectlOk(["explain", "hugrcluster.spec.autoscaling"]);
    expect(out).toContain("Horizontal autoscaling of the workers.");
    expect(out).toContain("Render an autoscaling/v2 HorizontalPodAutoscaler");
    expect(out).toContain("minReplicas");
  });

  it("kubectl scale hugrcluster sets .spec.replicas through the scale subresource", async () => {
    await kubectlOk(["scale", "hugrcluster", "demo", "-n", NAMESPACE, "--replicas=5"]);
    const replicas = await kubectlOk([
      "get",
      "hc",
      "demo",
      "-n",
      NAMESPACE,
      "-o",
      "jsonpath={.spec.replicas}",
    ]);
    expect(replicas).toBe("5");
  });

  it("status goes through the status subresource and shows in the printer columns", async () => {
    const status = {
      replicas: 4,
      readyReplicas: 3,
      registeredNodes: 2,
      selector: "app.kubernetes.io/instance=demo",
      conditions: [
        {
          type: "Ready",
          status: "True",
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          reason: "NodesReady",
          message: "",
        },
      ],
    };
    const patch = JSON.stringify({ status });
    await kubectlOk([
      "patch",
      "hc",
      "demo",
      "-n",
      NAMESPACE,
      "--subresource=status",
      "--type=merge",
      "-p",
      patch,
    ]);
    // A status written through the main resource is ignored.
    await kubectlOk([
      "patch",
      "hc",
      "demo",
      "-n",
      NAMESPACE,
      "--type=merge",
      "-p",
      '{"status":{"readyReplicas":0}}',
    ]);

    const { header, row } = table(await kubectlOk(["get", "hc", "demo", "-n", NAMESPACE]));
    expect(header).toEqual(["NAME", "REPLICAS", "READY", "REGISTERED", "STATUS", "AGE"]);
    expect(row.slice(0, 5)).toEqual(["demo", "5", "3", "2", "True"]);

    const path = `/apis/${API_VERSION}/namespaces/${NAMESPACE}/hugrclusters/demo/scale`;
    const scale = JSON.parse(await kubectlOk(["get", "--raw", path])) as {
      spec: { replicas: number };
      status: { replicas: number; selector: string };
    };
    expect(scale.spec.replicas).toBe(5);
    expect(scale.status).toEqual({ replicas: 4, selector: status.selector });
  });

  it.each([
    ["hds", ["NAME", "CLUSTER", "TYPE", "LOADED", "TOTAL", "READY", "AGE"]],
    ["hos", ["NAME", "CLUSTER", "TYPE", "SCOPE", "REGISTERED", "TOTAL", "READY", "AGE"]],
  ])("kubectl get %s shows the printer columns", async (shortName, columns) => {
    const { header, row } = table(await kubectlOk(["get", shortName, "demo", "-n", NAMESPACE]));
    expect(header).toEqual(columns);
    expect(row.slice(0, 2)).toEqual(["demo", "demo"]);
  });
});
