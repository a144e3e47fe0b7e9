import { Ajv } from "ajv";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderCrdDocs } from "../docs.js";
import { crdManifestFiles, GENERATED_HEADER, renderYaml } from "../manifests.js";
import {
  crds,
  hugrClusterCrd,
  hugrDataSourceCrd,
  hugrObjectStorageCrd,
  HugrClusterSpecSchema,
  HugrDataSourceSpecSchema,
  HugrObjectStorageSpecSchema,
  type CustomResourceDefinition,
  type JSONSchemaProps,
} from "./index.js";
import { invalidCases, validSpecs, type Kind } from "./testdata.js";

const byKind: Record<Kind, CustomResourceDefinition> = {
  HugrCluster: hugrClusterCrd,
  HugrDataSource: hugrDataSourceCrd,
  HugrObjectStorage: hugrObjectStorageCrd,
};
const specSchemas = {
  HugrCluster: HugrClusterSpecSchema,
  HugrDataSource: HugrDataSourceSpecSchema,
  HugrObjectStorage: HugrObjectStorageSpecSchema,
};

const version = (crd: CustomResourceDefinition) => crd.spec.versions[0]!;
const rootSchema = (crd: CustomResourceDefinition) => version(crd).schema.openAPIV3Schema;

interface Visit {
  node: JSONSchemaProps;
  path: string;
  /** Whether the node is an object's field (not the root, an item or a map value). */
  field: boolean;
}

/** Every schema node that Kubernetes treats as structural: fields, items, map values. */
function nodes(node: JSONSchemaProps, path = "", field = false): Visit[] {
  const out: Visit[] = [{ node, path, field }];
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    out.push(...nodes(child, path ? `${path}.${name}` : name, true));
  }
  if (node.items) out.push(...nodes(node.items, `${path}[]`));
  if (node.additionalProperties) out.push(...nodes(node.additionalProperties, `${path}[*]`));
  return out;
}

/** The schema node at an apiserver field path such as spec.env[0] or spec.resources.requests[cpu]. */
function schemaAt(crd: CustomResourceDefinition, fieldPath: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = rootSchema(crd);
  // "" is the resource itself.
  for (const part of fieldPath === "" ? [] : fieldPath.split(/\.|(?=\[)/)) {
    if (part.startsWith("[")) node = node?.items ?? node?.additionalProperties;
    else node = node?.properties?.[part];
  }
  return node;
}

describe("generated CRDs are structural", () => {
  describe.each(crds.map((crd) => [crd.spec.names.kind, crd] as const))("%s", (_kind, crd) => {
    const all = nodes(rootSchema(crd));

    it("gives every node a type, or int-or-string, or preserve-unknown-fields", () => {
      const untyped = all.filter(
        ({ node }) =>
          !node.type && !node["x-kubernetes-int-or-string"] && !node["x-kubernetes-preserve-unknown-fields"],
      );
      expect(untyped.map((v) => v.path)).toEqual([]);
    });

    it("never combines properties with additionalProperties, and arrays have items", () => {
      expect(
        all.filter(({ node }) => node.properties && node.additionalProperties).map((v) => v.path),
      ).toEqual([]);
      expect(all.filter(({ node }) => node.type === "array" && !node.items).map((v) => v.path)).toEqual([]);
    });

    it("uses anyOf only as int-or-string's exact pair, with nothing TypeBox-specific left", () => {
      for (const { node, path } of all) {
        if (node.anyOf) {
          expect(node["x-kubernetes-int-or-string"], path).toBe(true);
          expect(node.anyOf, path).toEqual([{ type: "integer" }, { type: "string" }]);
          expect(node.type, path).toBeUndefined();
        }
        for (const key of ["const", "patternProperties", "$id", "oneOf", "allOf", "not", "nullable"]) {
          expect(Object.keys(node), path).not.toContain(key);
        }
        expect(Object.getOwnPropertySymbols(node), path).toEqual([]);
      }
    });

    it("describes every field (for kubectl explain), except metadata, which may only restrict the name", () => {
      const metadata = rootSchema(crd).properties?.metadata;
      expect(Object.keys(metadata ?? {}).sort()).toEqual(
        metadata?.properties ? ["properties", "type"] : ["type"],
      );
      const undescribed = all.filter(
        ({ node, path, field }) => field && !path.startsWith("metadata") && !node.description,
      );
      expect(undescribed.map((v) => v.path)).toEqual([]);
    });

    it("keys list-maps by required scalar fields", () => {
      for (const { node, path } of all.filter((v) => v.node["x-kubernetes-list-type"] === "map")) {
        for (const key of node["x-kubernetes-list-map-keys"] ?? []) {
          expect(node.items?.required, path).toContain(key);
          expect(node.items?.properties?.[key]?.type, path).toBe("string");
        }
      }
    });

    it("bounds every spec list and every string a CEL rule reads, to stay within the CEL cost budget", () => {
      const spec = all.filter((v) => v.path.startsWith("spec"));
      expect(
        spec.filter((v) => v.node.type === "array" && v.node.maxItems === undefined).map((v) => v.path),
      ).toEqual([]);
      for (const { node, path } of spec.filter((v) => v.node["x-kubernetes-validations"])) {
        const strings = node.type === "string" ? [node] : Object.values(node.properties ?? {});
        for (const s of strings.filter((p) => p.type === "string")) {
          expect(s.maxLength ?? s.enum?.length, path).toBeDefined();
        }
      }
    });

    it("is written as YAML that reads back to the same object, with the header", () => {
      const text = renderYaml(crd);
      expect(text.startsWith(GENERATED_HEADER)).toBe(true);
      expect(parse(text)).toEqual(JSON.parse(JSON.stringify(crd)));
      expect(renderYaml(crd)).toBe(text);
    });
  });
});

describe("names, printer columns and subresources", () => {
  it("names the kinds in group hugr.io, category hugr, with their short names", () => {
    const names = crds.map((crd) => [
      crd.metadata.name,
      crd.spec.names.shortNames,
      crd.spec.names.categories,
    ]);
    expect(names).toEqual([
      ["hugrclusters.hugr.io", ["hc"], ["hugr"]],
      ["hugrdatasources.hugr.io", ["hds"], ["hugr"]],
      ["hugrobjectstorages.hugr.io", ["hos"], ["hugr"]],
    ]);
    for (const crd of crds) {
      expect(crd.spec.scope).toBe("Namespaced");
      expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([["v1alpha1", true, true]]);
    }
  });

  const ready = '.status.conditions[?(@.type=="Ready")].status';
  it.each([
    [
      hugrClusterCrd,
      [
        ["Replicas", ".spec.replicas"],
        ["Ready", ".status.readyReplicas"],
        ["Registered", ".status.registeredNodes"],
        ["Status", ready],
        ["Age", ".metadata.creationTimestamp"],
      ],
    ],
    [
      hugrDataSourceCrd,
      [
        ["Cluster", ".spec.clusterRef.name"],
        ["Type", ".spec.type"],
        ["Loaded", ".status.loaded"],
        ["Total", ".status.total"],
        ["Ready", ready],
        ["Age", ".metadata.creationTimestamp"],
      ],
    ],
    [
      hugrObjectStorageCrd,
      [
        ["Cluster", ".spec.clusterRef.name"],
        ["Type", ".spec.type"],
        ["Scope", ".spec.scope"],
        ["Registered", ".status.registered"],
        ["Total", ".status.total"],
        ["Ready", ready],
        ["Age", ".metadata.creationTimestamp"],
      ],
    ],
  ] as const)("prints the columns of %#", (crd, columns) => {
    expect(version(crd).additionalPrinterColumns.map((c) => [c.name, c.jsonPath])).toEqual(columns);
    // Every column points at a field the schema has, so kubectl never prints <none> by mistake.
    for (const column of version(crd).additionalPrinterColumns.filter((c) => !c.jsonPath.includes("["))) {
      if (column.jsonPath.startsWith(".metadata")) continue;
      expect(schemaAt(crd, column.jsonPath.slice(1)), column.jsonPath).toBeDefined();
    }
  });

  it("gives every kind a status subresource and HugrCluster a scale subresource", () => {
    expect(version(hugrClusterCrd).subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: ".spec.replicas",
        statusReplicasPath: ".status.replicas",
        labelSelectorPath: ".status.selector",
      },
    });
    expect(version(hugrDataSourceCrd).subresources).toEqual({ status: {} });
    expect(version(hugrObjectStorageCrd).subresources).toEqual({ status: {} });
    expect(schemaAt(hugrClusterCrd, "status.selector")?.type).toBe("string");
    expect(schemaAt(hugrClusterCrd, "status.replicas")?.type).toBe("integer");
  });
});

describe("defaults and CEL rules", () => {
  it.each([
    [hugrClusterCrd, "spec.replicas", 2],
    [hugrClusterCrd, "spec.adminUI", true],
    [hugrClusterCrd, "spec.autoscaling.enabled", false],
    [hugrClusterCrd, "spec.coreDB.readOnly", false],
    [hugrClusterCrd, "spec.serviceType", "ClusterIP"],
    [hugrClusterCrd, "spec.cache.l1.maxSizeMB", 512],
    [hugrClusterCrd, "spec.auth.anonymousRole", undefined],
    [hugrClusterCrd, "spec.auth.managedApiKeys", false],
    [hugrClusterCrd, "spec.auth.oidc.scopeRolePrefix", "hugr:"],
    [hugrClusterCrd, "spec.auth.oidc.timeout", "10s"],
    [hugrClusterCrd, "spec.auth.oidc.tlsInsecure", false],
    [hugrDataSourceCrd, "spec.readOnly", false],
    [hugrObjectStorageCrd, "spec.useSSL", true],
    [hugrObjectStorageCrd, "spec.urlStyle", "path"],
  ] as const)("%#: defaults %s to %j", (crd, path, value) => {
    expect(schemaAt(crd, path)?.default).toEqual(value);
  });

  it.each([
    [hugrClusterCrd, "spec.autoscaling", "self.minReplicas <= self.maxReplicas"],
    [hugrClusterCrd, "spec.autoscaling", "(has(self.minReplicas) && has(self.maxReplicas))"],
    [hugrClusterCrd, "spec.cache.l2", "size(self.addresses) > 0"],
    [hugrClusterCrd, "spec.podDisruptionBudget", "!(has(self.minAvailable) && has(self.maxUnavailable))"],
    [hugrClusterCrd, "spec.env[]", "!(has(self.value) && has(self.valueFrom))"],
    [hugrClusterCrd, "spec.auth.oidc", "has(self.clientId)"],
    [hugrDataSourceCrd, "spec", "has(self.path) != has(self.pathSecretRef)"],
    [hugrDataSourceCrd, "", "has(self.spec.name) || self.metadata.name.matches("],
    [hugrDataSourceCrd, "spec.clusterRef.name", "self == oldSelf"],
    [hugrObjectStorageCrd, "spec.clusterRef.name", "self == oldSelf"],
  ] as const)("%#: has the rule on %s: %s", (crd, path, rule) => {
    const rules = schemaAt(crd, path)?.["x-kubernetes-validations"] ?? [];
    expect(rules.map((r) => r.rule).join("\n")).toContain(rule);
  });
});

/**
 * The OpenAPI part of the schemas, checked with a JSON Schema validator (ajv). Kubernetes' own
 * keywords (x-kubernetes-*) are ignored and formats are not checked: CEL and formats need the
 * apiserver, which the envtest tier brings.
 */
const validator = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/** The object as kubectl would send it. */
const resource = (kind: Kind, spec: unknown, name = "demo") => ({
  apiVersion: "hugr.io/v1alpha1",
  kind,
  metadata: { name, namespace: "hugr" },
  spec,
});

/** JSON pointers of the fields the validator complained about (missing ones included). */
function errorPointers(v: Ajv): string[] {
  return (v.errors ?? []).map((e) => {
    const at = e.instancePath;
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    return missing ? `${at}/${missing.replace(/^\./, "")}` : at;
  });
}

const pointer = (fieldPath: string) =>
  "/" +
  fieldPath
    .replace(/\[(.*?)\]/g, ".$1")
    .split(".")
    .join("/");

describe("invalid specs", () => {
  it("has at least ten cases, for every kind", () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(10);
    expect(new Set(invalidCases.map((c) => c.kind))).toEqual(new Set(Object.keys(byKind)));
  });

  it.each(Object.entries(validSpecs) as [Kind, unknown][])(
    "accepts the valid %s of the design sketch",
    (kind, spec) => {
      expect(Value.Check(specSchemas[kind], spec)).toBe(true);
      expect(
        validator.validate(rootSchema(byKind[kind]), resource(kind, spec)),
        JSON.stringify(validator.errors),
      ).toBe(true);
    },
  );

  const schemaCases = invalidCases.filter((c) => c.by === "schema");
  it.each(schemaCases.map((c) => [c.title, c] as const))("the OpenAPI schema rejects: %s", (_title, c) => {
    const valid = validator.validate(rootSchema(byKind[c.kind]), resource(c.kind, c.spec, c.name));
    expect(valid).toBe(false);
    expect(errorPointers(validator)).toContain(pointer(c.field));
  });

  it.each(schemaCases.filter((c) => !c.name).map((c) => [c.title, c] as const))(
    "the TypeBox source rejects too: %s",
    (_title, c) => {
      expect(Value.Check(specSchemas[c.kind], c.spec)).toBe(false);
    },
  );

  // A CEL rule needs an apiserver to evaluate it (the envtest tier does); here: the schema lets the
  // spec through, so only the rule can reject it, and the rule with that message sits on that field.
  it.each(invalidCases.filter((c) => c.by === "cel").map((c) => [c.title, c] as const))(
    "a CEL rule rejects: %s",
    (_title, c) => {
      if (validator) {
        expect(validator.validate(rootSchema(byKind[c.kind]), resource(c.kind, c.spec))).toBe(true);
      }
      // A rule on the whole resource (which alone can read metadata.name) names its field by fieldPath.
      const rules = [
        ...(schemaAt(byKind[c.kind], c.field)?.["x-kubernetes-validations"] ?? []),
        ...(rootSchema(byKind[c.kind])["x-kubernetes-validations"] ?? []).filter(
          (r) => r.fieldPath === `.${c.field}`,
        ),
      ];
      expect(rules.map((r) => r.message)).toContain(c.message);
      if (c.from) expect(rules.some((r) => r.rule.includes("oldSelf"))).toBe(true);
    },
  );
});

describe("generated files", () => {
  it("writes each CRD to crds/, config/crd/bases/ and the chart, with a kustomization", () => {
    expect(crdManifestFiles().map((f) => f.path)).toEqual([
      "crds/hugr.io_hugrclusters.yaml",
      "crds/hugr.io_hugrdatasources.yaml",
      "crds/hugr.io_hugrobjectstorages.yaml",
      "config/crd/bases/hugr.io_hugrclusters.yaml",
      "config/crd/bases/hugr.io_hugrdatasources.yaml",
      "config/crd/bases/hugr.io_hugrobjectstorages.yaml",
      "charts/hugr-operator/crds/hugr.io_hugrclusters.yaml",
      "charts/hugr-operator/crds/hugr.io_hugrdatasources.yaml",
      "charts/hugr-operator/crds/hugr.io_hugrobjectstorages.yaml",
      "config/crd/kustomization.yaml",
    ]);
    const kustomization = crdManifestFiles().at(-1)!;
    expect(parse(kustomization.content)).toEqual({
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: [
        "bases/hugr.io_hugrclusters.yaml",
        "bases/hugr.io_hugrdatasources.yaml",
        "bases/hugr.io_hugrobjectstorages.yaml",
      ],
    });
  });

  it("documents every spec and status field of every kind", () => {
    const docs = renderCrdDocs();
    for (const crd of crds) {
      expect(docs).toContain(`## ${crd.spec.names.kind}`);
      for (const part of ["spec", "status"] as const) {
        const fields = nodes(rootSchema(crd).properties![part]!).filter((v) => v.field);
        for (const { path } of fields)
          expect(docs, path).toContain(`| \`${path.replaceAll("[*]", ".*")}\` |`);
      }
    }
  });
});
