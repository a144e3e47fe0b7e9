import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { rbacManifestFiles } from "./manifests.js";
import {
  allows,
  apiGroupOf,
  CUSTOM_RESOURCES,
  leaderElectionRules,
  operatorClusterRules,
  OWNED_KINDS,
  type PolicyRule,
  type Verb,
} from "./rbac.js";
import { crds } from "./v1alpha1/index.js";

const allRules = { clusterRole: operatorClusterRules, leaderElection: leaderElectionRules };
const SSA_VERBS: readonly Verb[] = ["get", "list", "watch", "create", "patch"];

describe("operator RBAC", () => {
  describe.each(Object.entries(allRules))("%s rules", (_name, rules) => {
    it("name every group, resource and verb: no wildcard, no empty list", () => {
      for (const rule of rules) {
        expect(rule.apiGroups.length).toBeGreaterThan(0);
        expect(rule.resources.length).toBeGreaterThan(0);
        expect(rule.verbs.length).toBeGreaterThan(0);
        expect([...rule.apiGroups, ...rule.resources, ...rule.verbs].filter((s) => s.includes("*"))).toEqual(
          [],
        );
      }
    });

    it("never grant escalation or bulk deletion", () => {
      const verbs = new Set<string>(rules.flatMap((rule) => rule.verbs));
      for (const verb of ["escalate", "bind", "impersonate", "deletecollection"])
        expect(verbs).not.toContain(verb);
    });

    it("grant nothing twice", () => {
      const grants = rules.flatMap((rule) =>
        rule.apiGroups.flatMap((g) => rule.resources.flatMap((r) => rule.verbs.map((v) => `${g}/${r}:${v}`))),
      );
      expect(grants.length).toBe(new Set(grants).size);
    });
  });

  it("covers every custom resource, its status and its finalizers, from the generated CRDs", () => {
    expect(crds.map((crd) => crd.spec.names.plural).sort()).toEqual([...CUSTOM_RESOURCES].sort());
    for (const crd of crds) {
      const { group, names } = crd.spec;
      for (const verb of ["get", "list", "watch", "update", "patch"] as const) {
        expect(allows(operatorClusterRules, { apiGroup: group, resource: names.plural, verb })).toBe(true);
      }
      for (const verb of ["get", "update", "patch"] as const) {
        const resource = `${names.plural}/status`;
        expect(allows(operatorClusterRules, { apiGroup: group, resource, verb })).toBe(true);
      }
      const finalizers = `${names.plural}/finalizers`;
      expect(allows(operatorClusterRules, { apiGroup: group, resource: finalizers, verb: "update" })).toBe(
        true,
      );
    }
  });

  it("lets the management API create and delete data sources and storages, never HugrClusters", () => {
    const can = (resource: string, verb: Verb) =>
      allows(operatorClusterRules, { apiGroup: "hugr.io", resource, verb });
    for (const resource of ["hugrdatasources", "hugrobjectstorages"]) {
      expect(can(resource, "create")).toBe(true);
      expect(can(resource, "delete")).toBe(true);
    }
    expect(can("hugrclusters", "create")).toBe(false);
    expect(can("hugrclusters", "delete")).toBe(false);
  });

  it.each(OWNED_KINDS.map((owned) => [owned.kind, owned] as const))(
    "lets the operator server-side apply and watch the %s it renders",
    (_kind, owned) => {
      const apiGroup = apiGroupOf(owned.apiVersion);
      for (const verb of [...SSA_VERBS, ...owned.verbs]) {
        expect(allows(operatorClusterRules, { apiGroup, resource: owned.resource, verb }), verb).toBe(true);
      }
    },
  );

  it("never deletes Secrets and reads no other core kind than those it renders", () => {
    expect(allows(operatorClusterRules, { apiGroup: "", resource: "secrets", verb: "delete" })).toBe(false);
    const core = operatorClusterRules.filter((rule) => rule.apiGroups.includes(""));
    expect(core.flatMap((rule) => rule.resources).sort()).toEqual([
      "configmaps",
      "events",
      "secrets",
      "services",
    ]);
  });

  it("records Events through both events APIs without reading them", () => {
    for (const apiGroup of ["", "events.k8s.io"]) {
      expect(allows(operatorClusterRules, { apiGroup, resource: "events", verb: "create" })).toBe(true);
      expect(allows(operatorClusterRules, { apiGroup, resource: "events", verb: "patch" })).toBe(true);
      expect(allows(operatorClusterRules, { apiGroup, resource: "events", verb: "list" })).toBe(false);
    }
  });

  it("grants leader election the Lease verbs and the pod label, only in the namespaced Role", () => {
    expect(leaderElectionRules).toEqual([
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "patch"] },
    ]);
    for (const resource of ["leases", "pods"]) {
      expect(operatorClusterRules.some((rule) => rule.resources.includes(resource))).toBe(false);
    }
  });

  it("allows() needs group, resource and verb in one rule", () => {
    const rules: PolicyRule[] = [
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] },
      { apiGroups: [""], resources: ["services"], verbs: ["list"] },
    ];
    expect(allows(rules, { apiGroup: "apps", resource: "deployments", verb: "get" })).toBe(true);
    expect(allows(rules, { apiGroup: "apps", resource: "deployments", verb: "list" })).toBe(false);
    expect(allows(rules, { apiGroup: "", resource: "deployments", verb: "get" })).toBe(false);
  });
});

describe("generated RBAC manifests", () => {
  const files = new Map(rbacManifestFiles().map((file) => [file.path, parse(file.content) as unknown]));

  it("give kustomize a ClusterRole and a Role with the same rules as the chart's files", () => {
    expect(files.get("config/rbac/role.yaml")).toMatchObject({
      kind: "ClusterRole",
      metadata: { name: "hugr-operator" },
      rules: files.get("charts/hugr-operator/files/clusterrole-rules.yaml"),
    });
    expect(files.get("config/rbac/leader_election_role.yaml")).toMatchObject({
      kind: "Role",
      metadata: { name: "hugr-operator-leader-election" },
      rules: files.get("charts/hugr-operator/files/leader-election-rules.yaml"),
    });
  });

  it("round-trip the rules through YAML unchanged, without anchors", () => {
    expect(files.get("charts/hugr-operator/files/clusterrole-rules.yaml")).toEqual(operatorClusterRules);
    expect(files.get("charts/hugr-operator/files/leader-election-rules.yaml")).toEqual(leaderElectionRules);
    for (const file of rbacManifestFiles()) expect(file.content).not.toMatch(/[&*]a\d/);
  });
});
