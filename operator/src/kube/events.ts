/**
 * Kubernetes Events for what a user must see (`kubectl describe` and `kubectl events` show them):
 * events.k8s.io/v1 Events reported by the hugr operator, with repeats folded into one Event whose
 * `series.count` grows, as client-go's event recorder does, so a failing reconcile retried with
 * backoff shows "x12 over 5m" rather than a flood that etcd has to store.
 *
 * Recording never throws and never blocks a reconcile on the apiserver for long: an Event is a
 * courtesy, and a failure to write one is logged, not propagated.
 */
import {
  PatchStrategy,
  V1MicroTime,
  setHeaderOptions,
  type EventsV1Api,
  type EventsV1Event,
  type KubernetesObject,
  type V1ObjectReference,
} from "@kubernetes/client-node";
import type { Logger } from "@hugr/common";
import { errorSummary, isNotFound } from "./apply.js";

/** The `reportingController` of every Event the operator writes. */
export const REPORTING_CONTROLLER = "hugr.io/hugr-operator";

/** The API's limits: `note` in bytes, the other strings in characters. */
export const NOTE_MAX_BYTES = 1024;
const FIELD_MAX = 128;
const NAME_MAX = 253;

/** One thing that happened to an object. */
export interface EventSpec {
  /** Warning for what needs a user's attention, Normal for the rest. */
  type: "Normal" | "Warning";
  /** CamelCase, the same reasons as the conditions use (e.g. `DeploymentFailed`). At most 128 chars. */
  reason: string;
  /** Human-readable; truncated to 1024 bytes. Never put secret values in it. */
  message: string;
  /** What the operator did or failed to do, CamelCase (e.g. `Apply`, `Reconcile`). At most 128 chars. */
  action: string;
}

/** Writes Events; see {@link createEventRecorder}. */
export interface EventRecorder {
  /**
   * Records `event` about `regarding` (see {@link referenceTo}). A repeat of the same object, type,
   * reason, action and message within the series window increments the existing Event's series
   * instead of creating a new one. Resolves when written (or when writing failed: it never rejects).
   */
  record(regarding: V1ObjectReference, event: EventSpec): Promise<void>;
}

/** The two calls the recorder makes (an EventsV1Api has them). */
export type EventsApi = Pick<EventsV1Api, "createNamespacedEvent" | "patchNamespacedEvent">;

/** Options of {@link createEventRecorder}. */
export interface EventRecorderOptions {
  api: EventsApi;
  /** `reportingInstance`: the operator replica (pod name). */
  identity: string;
  logger: Logger;
  /** Repeats within this long of the previous one join its series. Default 10 min. */
  seriesWindowMs?: number;
  /** Default `Date.now`. */
  now?: () => number;
}

/** A reference to `obj` for {@link EventRecorder.record}; needs apiVersion, kind and metadata.name. */
export function referenceTo(obj: KubernetesObject): V1ObjectReference {
  const { apiVersion, kind, metadata } = obj;
  return {
    apiVersion,
    kind,
    name: metadata?.name,
    namespace: metadata?.namespace,
    uid: metadata?.uid,
    resourceVersion: metadata?.resourceVersion,
  };
}

/** `text` cut to at most `maxBytes` of UTF-8, on a character boundary, ending in "..." when cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  const ellipsis = "...";
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, "utf8");
    if (bytes + size > maxBytes - ellipsis.length) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end) + ellipsis;
}

/** A fresh Event name for an object: `<object name>.<hex time and counter>`, as client-go names them. */
export function eventName(objectName: string, nowMs: number, sequence: number): string {
  const suffix = `.${nowMs.toString(16)}${(sequence % 0x10000).toString(16).padStart(4, "0")}`;
  const base = objectName
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "-")
    .slice(0, NAME_MAX - suffix.length)
    .replace(/[^a-z0-9]+$/, "");
  return `${base || "object"}${suffix}`;
}

/** One Event being counted. */
interface Series {
  name: string;
  namespace: string;
  count: number;
  /** The count last written. */
  written: number;
  lastAt: number;
  /** Writes to one Event run one after the other, so counts only go up. */
  queue: Promise<void>;
}

/** One recorded occurrence and the series it belongs to. */
interface Occurrence {
  key: string;
  series: Series;
  regarding: V1ObjectReference;
  event: EventSpec;
}

interface Recorder {
  options: EventRecorderOptions & { seriesWindowMs: number; now: () => number };
  series: Map<string, Series>;
  sequence: number;
}

const DEFAULT_SERIES_WINDOW_MS = 10 * 60_000;

/** An {@link EventRecorder} writing with `options.api` as `options.identity`. */
export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const recorder: Recorder = {
    options: {
      ...options,
      seriesWindowMs: options.seriesWindowMs ?? DEFAULT_SERIES_WINDOW_MS,
      now: options.now ?? Date.now,
    },
    series: new Map(),
    sequence: 0,
  };
  return {
    record: (regarding, event) =>
      record(recorder, regarding, event).catch((error: unknown) =>
        logFailure(recorder, error, regarding, event),
      ),
  };
}

async function record(recorder: Recorder, regarding: V1ObjectReference, spec: EventSpec): Promise<void> {
  const now = recorder.options.now();
  prune(recorder, now);
  const event = normalise(spec);
  const key = JSON.stringify([
    regarding.namespace,
    regarding.kind,
    regarding.name,
    regarding.uid,
    event.type,
    event.reason,
    event.action,
    event.message,
  ]);
  const existing = recorder.series.get(key);
  if (existing) {
    existing.count += 1;
    existing.lastAt = now;
    const occurrence = { key, series: existing, regarding, event };
    existing.queue = existing.queue.then(() => patchSeries(recorder, occurrence));
    return existing.queue;
  }
  const series: Series = {
    name: eventName(regarding.name ?? "", now, recorder.sequence++),
    namespace: regarding.namespace || "default",
    count: 1,
    written: 0,
    lastAt: now,
    queue: Promise.resolve(),
  };
  recorder.series.set(key, series);
  series.queue = create(recorder, { key, series, regarding, event });
  return series.queue;
}

/** Forgets series whose last occurrence is older than the window: their next repeat starts a new Event. */
function prune(recorder: Recorder, now: number): void {
  for (const [key, series] of recorder.series) {
    if (now - series.lastAt > recorder.options.seriesWindowMs) recorder.series.delete(key);
  }
}

function normalise(spec: EventSpec): EventSpec {
  return {
    type: spec.type,
    reason: spec.reason.slice(0, FIELD_MAX),
    action: spec.action.slice(0, FIELD_MAX),
    message: truncateUtf8(spec.message, NOTE_MAX_BYTES),
  };
}

async function create(recorder: Recorder, occurrence: Occurrence): Promise<void> {
  const { key, series, regarding, event } = occurrence;
  const { api, identity } = recorder.options;
  const body: EventsV1Event = {
    apiVersion: "events.k8s.io/v1",
    kind: "Event",
    metadata: { name: series.name, namespace: series.namespace },
    eventTime: new V1MicroTime(series.lastAt),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: identity.slice(0, FIELD_MAX),
    regarding,
    type: event.type,
    reason: event.reason,
    action: event.action,
    note: event.message,
  };
  try {
    await api.createNamespacedEvent({ namespace: series.namespace, body });
    series.written = 1;
  } catch (error) {
    // Forget it, so the next occurrence tries a fresh Event rather than patching one that is not there.
    if (recorder.series.get(key) === series) recorder.series.delete(key);
    logFailure(recorder, error, regarding, event);
  }
}

/** Writes the current count of a series (skipped when an earlier queued write already did). */
async function patchSeries(recorder: Recorder, occurrence: Occurrence): Promise<void> {
  const { key, series, regarding, event } = occurrence;
  if (series.written >= series.count || recorder.series.get(key) !== series) return;
  const count = series.count;
  const body = { series: { count, lastObservedTime: new V1MicroTime(series.lastAt) } };
  try {
    await recorder.options.api.patchNamespacedEvent(
      { name: series.name, namespace: series.namespace, body },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    series.written = count;
  } catch (error) {
    if (recorder.series.get(key) === series) recorder.series.delete(key);
    // The Event expired (the apiserver keeps Events for an hour) or was deleted: start a new one.
    if (isNotFound(error)) await record(recorder, regarding, event);
    else logFailure(recorder, error, regarding, event);
  }
}

function logFailure(
  recorder: Recorder,
  error: unknown,
  regarding: V1ObjectReference,
  event: EventSpec,
): void {
  recorder.options.logger.warn(
    {
      ...errorSummary(error),
      kind: regarding.kind,
      namespace: regarding.namespace,
      name: regarding.name,
      reason: event.reason,
    },
    "could not record an event",
  );
}
