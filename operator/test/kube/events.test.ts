/**
 * The event recorder on a real kube-apiserver: the Events it writes pass the events.k8s.io/v1
 * validation (required fields, lengths, namespace rules), and repeats become one Event's series.
 */
import type { EventsV1Event } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubeClients, loadKubeConfig, type KubeClients } from "../../src/kube/client.js";
import { REPORTING_CONTROLLER, createEventRecorder, referenceTo } from "../../src/kube/events.js";
import { startEnvtest, type Envtest } from "../harness/envtest.js";

const NAMESPACE = "events";

let env: Envtest;
let clients: KubeClients;

beforeAll(async () => {
  env = await startEnvtest();
  clients = createKubeClients(loadKubeConfig({ KUBECONFIG: env.kubeconfigPath }));
  await clients.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
});

afterAll(async () => {
  await env?.stop();
});

async function eventsAbout(name: string, namespace = NAMESPACE): Promise<EventsV1Event[]> {
  const list = await clients.events.listNamespacedEvent({ namespace });
  return list.items.filter((e) => e.regarding?.name === name);
}

describe("event recorder", () => {
  it("writes valid Events and folds repeats into a series", async () => {
    const target = await clients.core.createNamespacedConfigMap({
      namespace: NAMESPACE,
      body: { metadata: { name: "target", namespace: NAMESPACE } },
    });
    const recorder = createEventRecorder({
      api: clients.events,
      identity: "hugr-operator-0",
      logger: pino({ level: "silent" }),
    });
    const regarding = referenceTo({ apiVersion: "v1", kind: "ConfigMap", ...target });
    const failed = {
      type: "Warning",
      reason: "ApplyFailed",
      action: "Apply",
      message: "x".repeat(5_000),
    } as const;
    for (let i = 0; i < 3; i++) await recorder.record(regarding, failed);
    await recorder.record(regarding, {
      type: "Normal",
      reason: "Applied",
      action: "Apply",
      message: "applied",
    });

    const events = await eventsAbout("target");
    expect(events).toHaveLength(2);
    const warning = events.find((e) => e.type === "Warning")!;
    expect(warning).toMatchObject({
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: "hugr-operator-0",
      reason: "ApplyFailed",
      action: "Apply",
      regarding: { kind: "ConfigMap", name: "target", namespace: NAMESPACE, uid: target.metadata?.uid },
    });
    expect(warning.note).toHaveLength(1024);
    expect(warning.series?.count).toBe(3);
    expect(events.find((e) => e.type === "Normal")?.series).toBeUndefined();
  });

  it("puts Events about cluster-scoped objects in the default namespace", async () => {
    const ns = await clients.core.readNamespace({ name: NAMESPACE });
    const recorder = createEventRecorder({
      api: clients.events,
      identity: "hugr-operator-0",
      logger: pino({ level: "silent" }),
    });
    await recorder.record(referenceTo({ apiVersion: "v1", kind: "Namespace", ...ns }), {
      type: "Normal",
      reason: "Observed",
      action: "Reconcile",
      message: "seen",
    });
    expect(await eventsAbout(NAMESPACE, "default")).toHaveLength(1);
  });
});
