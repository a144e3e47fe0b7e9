import { ApiException, type EventsV1Event } from "@kubernetes/client-node";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  REPORTING_CONTROLLER,
  createEventRecorder,
  eventName,
  referenceTo,
  truncateUtf8,
  type EventSpec,
  type EventsApi,
} from "./events.js";

/** An in-memory events.k8s.io store with the two calls the recorder makes. */
class FakeEvents implements EventsApi {
  readonly stored = new Map<string, EventsV1Event>();
  failing = false;

  createNamespacedEvent: EventsApi["createNamespacedEvent"] = async ({ namespace, body }) => {
    if (this.failing) throw new ApiException(503, "unavailable", "", {});
    const key = `${namespace}/${body.metadata?.name}`;
    if (this.stored.has(key))
      throw new ApiException(409, "exists", JSON.stringify({ reason: "AlreadyExists" }), {});
    this.stored.set(key, JSON.parse(JSON.stringify(body)) as EventsV1Event);
    return body;
  };

  patchNamespacedEvent: EventsApi["patchNamespacedEvent"] = async ({ name, namespace, body }) => {
    if (this.failing) throw new ApiException(503, "unavailable", "", {});
    const event = this.stored.get(`${namespace}/${name}`);
    if (!event) throw new ApiException(404, "not found", JSON.stringify({ reason: "NotFound" }), {});
    Object.assign(event, JSON.parse(JSON.stringify(body)));
    return event;
  };

  events(): EventsV1Event[] {
    return [...this.stored.values()];
  }
}

const logger = pino({ level: "silent" });
const cluster = {
  apiVersion: "hugr.io/v1alpha1",
  kind: "HugrCluster",
  metadata: { name: "demo", namespace: "hugr", uid: "u-1", resourceVersion: "7" },
};
const failed: EventSpec = {
  type: "Warning",
  reason: "ApplyFailed",
  message: "could not apply",
  action: "Apply",
};

function setup(seriesWindowMs = 60_000) {
  const api = new FakeEvents();
  let time = Date.parse("2026-01-01T00:00:00Z");
  const clock = { advance: (ms: number) => (time += ms) };
  const recorder = createEventRecorder({ api, identity: "op-0", logger, seriesWindowMs, now: () => time });
  return { api, clock, recorder };
}

describe("event recorder", () => {
  it("creates an events.k8s.io/v1 Event about the object", async () => {
    const { api, recorder } = setup();
    await recorder.record(referenceTo(cluster), failed);
    const [event] = api.events();
    expect(event).toMatchObject({
      metadata: { namespace: "hugr" },
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: "op-0",
      regarding: { kind: "HugrCluster", name: "demo", namespace: "hugr", uid: "u-1" },
      type: "Warning",
      reason: "ApplyFailed",
      action: "Apply",
      note: "could not apply",
    });
    expect(event!.metadata!.name).toMatch(/^demo\.[0-9a-f]+$/);
    expect(String(event!.eventTime)).toBe("2026-01-01T00:00:00.000000Z");
  });

  it("folds repeats within the window into one Event with a growing series", async () => {
    const { api, clock, recorder } = setup();
    await recorder.record(referenceTo(cluster), failed);
    for (let i = 0; i < 4; i++) {
      clock.advance(1_000);
      await recorder.record(referenceTo(cluster), failed);
    }
    expect(api.events()).toHaveLength(1);
    expect(api.events()[0]!.series).toEqual({ count: 5, lastObservedTime: "2026-01-01T00:00:04.000000Z" });
  });

  it("coalesces repeats recorded concurrently, and counts every one", async () => {
    const { api, recorder } = setup();
    await Promise.all(Array.from({ length: 10 }, () => recorder.record(referenceTo(cluster), failed)));
    expect(api.events()).toHaveLength(1);
    expect(api.events()[0]!.series?.count).toBe(10);
  });

  it("starts a new Event for another message, reason or object, and after the window", async () => {
    const { api, clock, recorder } = setup();
    await recorder.record(referenceTo(cluster), failed);
    await recorder.record(referenceTo(cluster), { ...failed, message: "another message" });
    await recorder.record(referenceTo(cluster), { ...failed, reason: "DeleteFailed" });
    await recorder.record(referenceTo({ ...cluster, metadata: { ...cluster.metadata, name: "b" } }), failed);
    clock.advance(60_001);
    await recorder.record(referenceTo(cluster), failed);
    expect(api.events()).toHaveLength(5);
    expect(api.events().every((e) => e.series === undefined)).toBe(true);
  });

  it("creates a new Event when the one it counts on is gone", async () => {
    const { api, recorder } = setup();
    await recorder.record(referenceTo(cluster), failed);
    api.stored.clear();
    await recorder.record(referenceTo(cluster), failed);
    expect(api.events()).toHaveLength(1);
    expect(api.events()[0]!.series).toBeUndefined();
  });

  it("never rejects when the apiserver fails, and recovers afterwards", async () => {
    const { api, recorder } = setup();
    api.failing = true;
    await expect(recorder.record(referenceTo(cluster), failed)).resolves.toBeUndefined();
    api.failing = false;
    await recorder.record(referenceTo(cluster), failed);
    expect(api.events()).toHaveLength(1);
  });

  it("truncates the note to the API's 1024 bytes and puts cluster-scoped objects' Events in default", async () => {
    const { api, recorder } = setup();
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } };
    await recorder.record(referenceTo(node), { ...failed, message: "é".repeat(2_000) });
    const [event] = api.events();
    expect(event!.metadata!.namespace).toBe("default");
    expect(Buffer.byteLength(event!.note!, "utf8")).toBeLessThanOrEqual(1024);
    expect(event!.note!.endsWith("...")).toBe(true);
  });
});

describe("truncateUtf8", () => {
  it("leaves short text alone and cuts long text on a character boundary", () => {
    expect(truncateUtf8("short", 10)).toBe("short");
    expect(truncateUtf8("abcdefghijk", 10)).toBe("abcdefg...");
    const cut = truncateUtf8("😀".repeat(10), 10);
    expect(cut).toBe("😀...");
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10);
  });
});

describe("eventName", () => {
  it("is a DNS subdomain of at most 253 characters, unique per sequence", () => {
    const long = eventName("a".repeat(300), 1_700_000_000_000, 1);
    expect(long.length).toBeLessThanOrEqual(253);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(eventName("demo", 1, 1)).not.toBe(eventName("demo", 1, 2));
  });
});
