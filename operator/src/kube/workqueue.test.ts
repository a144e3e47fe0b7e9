import { describe, expect, it } from "vitest";
import { TerminalError, WorkQueue, isTerminalError, runWorkers, type WorkQueueOptions } from "./workqueue.js";

interface ManualTimer {
  at: number;
  callback: () => void;
}

/** A hand-driven clock: timers fire only inside `advance`, so tests never sleep or race. */
class ManualClock {
  readonly delays: number[] = [];
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, ManualTimer>();

  readonly now = (): number => this.time;

  readonly setTimeout = (callback: () => void, delayMs: number): number => {
    this.delays.push(delayMs);
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + delayMs, callback });
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    if (typeof handle === "number") this.timers.delete(handle);
  };

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (let next = this.nextDue(target); next !== undefined; next = this.nextDue(target)) {
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].callback();
    }
    this.time = target;
  }

  private nextDue(target: number): [number, ManualTimer] | undefined {
    const due = [...this.timers].filter(([, timer]) => timer.at <= target);
    return due.sort((a, b) => a[1].at - b[1].at)[0];
  }
}

function newQueue(clock: ManualClock, options: WorkQueueOptions = {}): WorkQueue {
  return new WorkQueue({
    ...options,
    now: clock.now,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
  });
}

/** Lets pending promise continuations (worker loops) run; a macrotask turn, not a timed sleep. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Takes the next key, failing the test if the queue would have to wait. */
async function take(queue: WorkQueue): Promise<string | undefined> {
  expect(queue.length).toBeGreaterThan(0);
  return queue.get();
}

describe("WorkQueue", () => {
  it("de-duplicates keys that are already queued", async () => {
    const queue = newQueue(new ManualClock());
    queue.add("ns/a");
    queue.add("ns/a");
    queue.add("ns/b");
    expect(queue.length).toBe(2);
    expect(await take(queue)).toBe("ns/a");
    expect(await take(queue)).toBe("ns/b");
    expect(queue.length).toBe(0);
  });

  it("hands out ready keys in FIFO order", async () => {
    const queue = newQueue(new ManualClock());
    for (const key of ["c", "a", "b"]) queue.add(key);
    expect([await take(queue), await take(queue), await take(queue)]).toEqual(["c", "a", "b"]);
  });

  it("re-queues a key added while it is processed only once done is called", async () => {
    const queue = newQueue(new ManualClock());
    queue.add("a");
    expect(await take(queue)).toBe("a");
    queue.add("a");
    queue.add("a");
    expect(queue.length).toBe(0);
    queue.done("a");
    expect(queue.length).toBe(1);
    expect(await take(queue)).toBe("a");
    queue.done("a");
    expect(queue.length).toBe(0);
  });

  it("wakes a waiting get when a key is added", async () => {
    const queue = newQueue(new ManualClock());
    const next = queue.get();
    queue.add("a");
    expect(await next).toBe("a");
    expect(queue.length).toBe(0);
  });

  it("doubles the backoff per failure up to the cap, and forget resets it", async () => {
    const clock = new ManualClock();
    const queue = newQueue(clock, { baseDelayMs: 5, maxDelayMs: 30 });
    const retryOnce = async (): Promise<void> => {
      queue.addRateLimited("a");
      clock.advance(1_000);
      expect(await take(queue)).toBe("a");
      queue.done("a");
    };
    for (let i = 0; i < 5; i++) await retryOnce();
    expect(clock.delays).toEqual([5, 10, 20, 30, 30]);
    expect(queue.numRequeues("a")).toBe(5);
    queue.forget("a");
    expect(queue.numRequeues("a")).toBe(0);
    await retryOnce();
    expect(clock.delays.at(-1)).toBe(5);
  });

  it("defaults to a 5 ms base and a 1000 s cap", () => {
    const clock = new ManualClock();
    const queue = newQueue(clock);
    for (let i = 0; i < 30; i++) {
      queue.addRateLimited("a");
      clock.advance(2_000_000);
    }
    expect(clock.delays.slice(0, 3)).toEqual([5, 10, 20]);
    expect(clock.delays.at(-1)).toBe(1_000_000);
  });

  it("adds a delayed key only when its time comes", () => {
    const clock = new ManualClock();
    const queue = newQueue(clock);
    queue.addAfter("a", 100);
    clock.advance(99);
    expect(queue.length).toBe(0);
    clock.advance(1);
    expect(queue.length).toBe(1);
  });

  it("keeps the earliest of several delayed adds for a key", () => {
    const clock = new ManualClock();
    const queue = newQueue(clock);
    queue.addAfter("a", 100);
    queue.addAfter("a", 500);
    expect(clock.pending).toBe(1);
    queue.addAfter("a", 50);
    expect(clock.pending).toBe(1);
    clock.advance(50);
    expect(queue.length).toBe(1);
    clock.advance(1_000);
    expect(queue.length).toBe(1);
  });

  it("wakes waiters with undefined on shutDown and ignores later adds", async () => {
    const clock = new ManualClock();
    const queue = newQueue(clock);
    const waiters = [queue.get(), queue.get()];
    queue.addAfter("later", 100);
    queue.shutDown();
    expect(await Promise.all(waiters)).toEqual([undefined, undefined]);
    expect(clock.pending).toBe(0);
    queue.add("a");
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it("reports depth, adds and retries to the metrics hooks", async () => {
    const clock = new ManualClock();
    const depths: number[] = [];
    let adds = 0;
    let retries = 0;
    const metrics = { onDepth: (n: number): void => void depths.push(n), onAdd: (): void => void adds++ };
    const queue = newQueue(clock, { metrics: { ...metrics, onRetry: (): void => void retries++ } });
    queue.add("a");
    queue.add("a");
    queue.add("b");
    await take(queue);
    queue.addRateLimited("c");
    expect({ depths, adds, retries }).toEqual({ depths: [1, 2, 1], adds: 2, retries: 1 });
  });
});

/** A reconcile whose calls stay open until the test releases them, counting concurrency per key. */
class GatedReconciler {
  readonly calls: string[] = [];
  readonly maxActivePerKey = new Map<string, number>();
  maxActive = 0;
  private readonly active = new Map<string, number>();
  private readonly gates: (() => void)[] = [];

  readonly reconcile = async (key: string): Promise<void> => {
    this.calls.push(key);
    this.enter(key);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    this.active.set(key, (this.active.get(key) ?? 0) - 1);
  };

  /** Lets every open call finish, then lets the workers move on. */
  async releaseAll(): Promise<void> {
    for (const open of this.gates.splice(0)) open();
    await flush();
  }

  private enter(key: string): void {
    const count = (this.active.get(key) ?? 0) + 1;
    this.active.set(key, count);
    this.maxActivePerKey.set(key, Math.max(this.maxActivePerKey.get(key) ?? 0, count));
    const total = [...this.active.values()].reduce((sum, n) => sum + n, 0);
    this.maxActive = Math.max(this.maxActive, total);
  }
}

describe("runWorkers", () => {
  it("never reconciles the same key concurrently, but does run different keys in parallel", async () => {
    const queue = newQueue(new ManualClock());
    const reconciler = new GatedReconciler();
    const running = runWorkers(queue, 3, reconciler.reconcile, () => undefined);
    queue.add("a");
    queue.add("b");
    await flush();
    queue.add("a");
    queue.add("a");
    await flush();
    expect(reconciler.calls).toEqual(["a", "b"]);
    await reconciler.releaseAll();
    expect(reconciler.calls).toEqual(["a", "b", "a"]);
    await reconciler.releaseAll();
    queue.shutDown();
    await running;
    expect(reconciler.maxActivePerKey).toEqual(
      new Map([
        ["a", 1],
        ["b", 1],
      ]),
    );
    expect(reconciler.maxActive).toBe(2);
  });

  it("requeues a failed key with backoff and forgets it after success", async () => {
    const clock = new ManualClock();
    const queue = newQueue(clock);
    const errors: [string, unknown][] = [];
    let attempts = 0;
    const reconcile = async (): Promise<void> => {
      attempts++;
      if (attempts < 3) throw new Error(`attempt ${String(attempts)} failed`);
    };
    const running = runWorkers(queue, 2, reconcile, (key, error) => void errors.push([key, error]));
    queue.add("a");
    await flush();
    expect(queue.numRequeues("a")).toBe(1);
    clock.advance(5);
    await flush();
    expect(queue.numRequeues("a")).toBe(2);
    clock.advance(10);
    await flush();
    queue.shutDown();
    await running;
    expect({ attempts, delays: clock.delays, requeues: queue.numRequeues("a") }).toEqual({
      attempts: 3,
      delays: [5, 10],
      requeues: 0,
    });
    expect(errors.map(([key, error]) => [key, (error as Error).message])).toEqual([
      ["a", "attempt 1 failed"],
      ["a", "attempt 2 failed"],
    ]);
  });

  it("reports a terminal error but never requeues it, and forgets the key's backoff", async () => {
    const clock = new ManualClock();
    const queue = newQueue(clock);
    const errors: [string, unknown][] = [];
    let calls = 0;
    const reconcile = async (): Promise<void> => {
      calls++;
      // First an ordinary failure (backoff 1), then one that retrying cannot fix.
      if (calls === 1) throw new Error("the apiserver is busy");
      throw new Error("while writing the row", { cause: new TerminalError("invalid definition") });
    };
    const running = runWorkers(queue, 1, reconcile, (key, error) => void errors.push([key, error]));
    queue.add("a");
    await flush();
    expect(queue.numRequeues("a")).toBe(1);
    clock.advance(5);
    await flush();
    expect(calls).toBe(2);
    // Nothing is scheduled: however long we wait, the key does not come back by itself.
    expect(clock.pending).toBe(0);
    clock.advance(1_000_000_000);
    await flush();
    expect({ calls, requeues: queue.numRequeues("a"), queued: queue.length }).toEqual({
      calls: 2,
      requeues: 0,
      queued: 0,
    });
    expect(errors.map(([key, error]) => [key, isTerminalError(error)])).toEqual([
      ["a", false],
      ["a", true],
    ]);
    // A change of the object still brings it back.
    queue.add("a");
    await flush();
    expect(calls).toBe(3);
    queue.shutDown();
    await running;
  });

  it("tells terminal errors from others, through causes too", () => {
    expect(isTerminalError(new TerminalError("x"))).toBe(true);
    expect(
      isTerminalError(new Error("outer", { cause: new Error("mid", { cause: new TerminalError("x") }) })),
    ).toBe(true);
    expect(isTerminalError(new Error("x"))).toBe(false);
    expect(isTerminalError("TerminalError")).toBe(false);
    expect(new TerminalError("x").name).toBe("TerminalError");
  });

  it("honours requeueAfterMs as an ordinary requeue", async () => {
    const clock = new ManualClock();
    const queue = newQueue(clock);
    let calls = 0;
    const reconcile = async (): Promise<{ requeueAfterMs: number }> => {
      calls++;
      return { requeueAfterMs: 1_000 };
    };
    const running = runWorkers(queue, 1, reconcile, () => undefined);
    queue.add("a");
    await flush();
    clock.advance(999);
    await flush();
    expect(calls).toBe(1);
    clock.advance(1);
    await flush();
    expect(calls).toBe(2);
    expect(queue.numRequeues("a")).toBe(0);
    queue.shutDown();
    await running;
  });
});
