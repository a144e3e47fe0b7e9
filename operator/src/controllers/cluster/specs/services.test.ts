import { describe, expect, it } from "vitest";
import { ownerReference } from "./owner.js";
import { buildHeadlessService, buildService } from "./services.js";
import { demoCluster } from "./testdata.js";

const selector = { "app.kubernetes.io/name": "hugr-worker", "app.kubernetes.io/instance": "demo" };
const port = { name: "http", port: 15000, targetPort: "http", protocol: "TCP" };

describe("buildService", () => {
  it("is a ClusterIP Service in front of the workers' http port by default", () => {
    const service = buildService(demoCluster());
    expect(service.apiVersion).toBe("v1");
    expect(service.kind).toBe("Service");
    expect(service.metadata).toMatchObject({ name: "demo", namespace: "hugr" });
    expect(service.metadata?.ownerReferences).toEqual([ownerReference(demoCluster())]);
    expect(service.spec).toEqual({ type: "ClusterIP", selector, ports: [port] });
  });

  it("takes spec.serviceType", () => {
    expect(buildService(demoCluster({ serviceType: "LoadBalancer" })).spec?.type).toBe("LoadBalancer");
    expect(buildService(demoCluster({ serviceType: "NodePort" })).spec?.type).toBe("NodePort");
  });

  it("leaves fields the apiserver allocates to it (clusterIP, nodePort)", () => {
    const spec = buildService(demoCluster({ serviceType: "NodePort" })).spec;
    expect(spec).not.toHaveProperty("clusterIP");
    expect(spec?.ports?.[0]).not.toHaveProperty("nodePort");
  });
});

describe("buildHeadlessService", () => {
  it("lists every worker, ready or not, on the same port", () => {
    const service = buildHeadlessService(demoCluster({ serviceType: "LoadBalancer" }));
    expect(service.metadata).toMatchObject({ name: "demo-headless", namespace: "hugr" });
    expect(service.metadata?.ownerReferences?.[0]?.uid).toBe(demoCluster().metadata.uid);
    expect(service.spec).toEqual({
      type: "ClusterIP",
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector,
      ports: [port],
    });
  });
});
