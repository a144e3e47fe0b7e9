import { describe, expect, it } from "vitest";
import * as specs from "./index.js";
import { demoCluster, demoInputs } from "./testdata.js";

describe("specs public surface", () => {
  it("exports the builders, names and constants the reconciler uses, and nothing internal", () => {
    expect(Object.keys(specs).sort()).toEqual([
      "CLUSTER_SECRET_KEY",
      "CONFIG_CHECKSUM_ANNOTATION",
      "DEFAULT_REPLICAS",
      "LABEL_NAME",
      "WORKER_PORT",
      "buildClusterSecret",
      "buildDeployment",
      "buildHeadlessService",
      "buildHpa",
      "buildPdb",
      "buildService",
      "buildWorkerConfigMap",
      "buildWorkerSecret",
      "clusterSecretName",
      "configChecksum",
      "generateClusterSecretValue",
      "headlessServiceName",
      "ownerReference",
      "selectorLabels",
      "selectorString",
      "workerConfigName",
      "workerLabels",
    ]);
    expect(specs.WORKER_PORT).toBe(15000);
    expect(specs.CONFIG_CHECKSUM_ANNOTATION).toBe("hugr.io/config-checksum");
    expect(specs.CLUSTER_SECRET_KEY).toBe("cluster-secret");
  });

  it("wires the worker config into the pod template", () => {
    const cluster = demoCluster();
    const configMap = specs.buildWorkerConfigMap(cluster, demoInputs);
    const secret = specs.buildWorkerSecret(cluster, demoInputs);
    const checksum = specs.configChecksum(configMap, secret);
    const template = specs.buildDeployment(cluster, checksum).spec!.template;
    expect(template.metadata!.annotations).toEqual({ [specs.CONFIG_CHECKSUM_ANNOTATION]: checksum });
    expect(template.spec!.containers[0]!.envFrom).toEqual([
      { configMapRef: { name: configMap.metadata!.name } },
      { secretRef: { name: secret.metadata!.name } },
    ]);
  });

  it("selects, in every object, exactly the pods the Deployment makes", () => {
    const cluster = demoCluster();
    const deployment = specs.buildDeployment(cluster, "sum").spec!;
    const selectors = [
      deployment.selector.matchLabels,
      specs.buildService(cluster).spec!.selector,
      specs.buildHeadlessService(cluster).spec!.selector,
      specs.buildPdb(cluster)!.spec!.selector!.matchLabels,
    ];
    for (const selector of selectors) expect(selector).toEqual(specs.selectorLabels(cluster));
    expect(deployment.template.metadata!.labels).toMatchObject(specs.selectorLabels(cluster));
  });
});
