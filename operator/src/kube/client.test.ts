import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createKubeClients, loadKubeConfig } from "./client.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "hugr-kube-client-"));
}

function kubeconfig(server: string, context = "test"): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: context, cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: context, user: { token: "t" } }],
    contexts: [{ name: context, context: { cluster: context, user: context } }],
    "current-context": context,
  });
}

describe("loadKubeConfig", () => {
  it("uses the service account in a pod", () => {
    const sa = tempDir();
    writeFileSync(join(sa, "token"), "token");
    const kc = loadKubeConfig(
      { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443", KUBECONFIG: "/nowhere" },
      { serviceAccountDir: sa },
    );
    expect(kc.getCurrentCluster()).toMatchObject({
      server: "https://10.0.0.1:443",
      caFile: join(sa, "ca.crt"),
    });
    expect(kc.getCurrentUser()?.authProvider).toEqual({
      name: "tokenFile",
      config: { tokenFile: join(sa, "token") },
    });
  });

  it("brackets an IPv6 service host", () => {
    const sa = tempDir();
    writeFileSync(join(sa, "token"), "token");
    const kc = loadKubeConfig({ KUBERNETES_SERVICE_HOST: "fd00::1" }, { serviceAccountDir: sa });
    expect(kc.getCurrentCluster()?.server).toBe("https://[fd00::1]:443");
  });

  it("falls back to KUBECONFIG when the token is not mounted, merging several files", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a"), kubeconfig("https://a.example:6443", "a"));
    writeFileSync(join(dir, "b"), kubeconfig("https://b.example:6443", "b"));
    const kc = loadKubeConfig(
      { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBECONFIG: `${join(dir, "a")}:${join(dir, "b")}` },
      { serviceAccountDir: join(dir, "no-sa") },
    );
    expect(kc.getCurrentCluster()?.server).toBe("https://a.example:6443");
    expect(kc.getClusters().map((c) => c.name)).toEqual(["a", "b"]);
  });

  it("reads $HOME/.kube/config without KUBECONFIG", () => {
    const home = tempDir();
    const dir = join(home, ".kube");
    mkdirSync(dir);
    writeFileSync(join(dir, "config"), kubeconfig("https://home.example:6443"));
    const kc = loadKubeConfig({ HOME: home }, { serviceAccountDir: join(home, "no-sa") });
    expect(kc.getCurrentCluster()?.server).toBe("https://home.example:6443");
  });

  it("throws saying what it looked for when there is no configuration", () => {
    const home = tempDir();
    expect(() => loadKubeConfig({ HOME: home }, { serviceAccountDir: join(home, "no-sa") })).toThrow(
      /no Kubernetes configuration.*KUBERNETES_SERVICE_HOST.*KUBECONFIG/,
    );
  });

  it("throws naming the file when a kubeconfig is unreadable", () => {
    const dir = tempDir();
    expect(() => loadKubeConfig({ KUBECONFIG: join(dir, "missing") }, { serviceAccountDir: dir })).toThrow(
      /while loading the kubeconfig .*missing/,
    );
  });
});

describe("createKubeClients", () => {
  it("builds every client on the KubeConfig's cluster", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "config"), kubeconfig("https://a.example:6443"));
    const clients = createKubeClients(loadKubeConfig({ KUBECONFIG: join(dir, "config") }));
    expect(Object.keys(clients).sort()).toEqual([
      "apps",
      "coordination",
      "core",
      "customObjects",
      "events",
      "objects",
    ]);
  });
});
