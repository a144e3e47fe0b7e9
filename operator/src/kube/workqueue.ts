/**
 * The controller work queue: a TypeScript port of client-go's rate-limited work queue, as used by
 * controller-runtime. Reconcile is level-triggered, so the queue holds keys ("namespace/name"), never
 * events: adding a key that is already queued is a no-op, because one reconcile re-reads the world and
 * covers every event that arrived meanwhile. Written here because @kubernetes/client-node has no work
 * queue.
 */

/** Optional metrics hooks, so the queue stays free of a Prometheus dependency. */
export interface WorkQueueMetrics {
  /** Called with the number of queued keys whenever it changes. */
  onDepth?(depth: number): void;
  /** Called when a key is accepted into the queue (after de-duplication). */
  onAdd?(): void;
  /** Called on every `addRateLimited`, i.e. every failed reconcile that will be retried. */
  onRetry?(): void;
}

export interface WorkQueueOptions {
  /** First retry delay of `addRateLimited`; doubles per consecutive failure. Default 5 ms (client-go). */
  baseDelayMs?: number;
  /** Upper bound of the retry delay. Default 1000 s (client-go). */
  maxDelayMs?: number;
  /** Clock used to keep the earliest of several delayed adds. Default `Date.now`. */
  now?: () => number;
  /** Timer used for delayed adds; injected by tests. Default the global `setTimeout`. */
  setTimeout?: (callback: () => void, delayMs: number) => unknown;
  /** Cancels a handle returned by `setTimeout`. Default the global `clearTimeout`. */
  clearTimeout?: (handle: unknown) => void;
  metrics?: WorkQueueMetrics;
}

/** What a reconcile may ask for: an ordinary, non-error requeue after a delay. */
export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

/**
 * A reconcile failure that retrying cannot fix (controller-runtime's TerminalError): an invalid
 * definition, two resources claiming one name. It is reported like any error (`onError`, metrics),
 * but the key is not re-queued: only a change of the object (or of one the reconcile depends on)
 * brings it back. Write what the user must know (status, an Event) before throwing it.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
}

/** True for a {@link TerminalError}, or an error caused, at any depth, by one. */
export function isTerminalError(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof TerminalError) return true;
  }
  return false;
}

interface DelayedAdd {
  at: number;
  handle: unknown;
}

const DEFAULT_BASE_DELAY_MS = 5;
const DEFAULT_MAX_DELAY_MS = 1_000_000;

/**
 * A de-duplicating FIFO of keys with per-key exponential backoff and delayed adds.
 *
 * Invariant (as in client-go): a key is handed to at most one worker at a time. A key added while it
 * is being processed is only marked dirty and goes back to the queue when `done(key)` is called, so the
 * change that triggered the add is still seen by a later reconcile.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys that need processing: those in `queue` plus those added while processing. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly delayed = new Map<string, DelayedAdd>();
  private readonly failures = new Map<string, number>();
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;
  private readonly schedule: (callback: () => void, delayMs: number) => unknown;
  private readonly cancel: (handle: unknown) => void;
  private readonly metrics: WorkQueueMetrics;
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.now = options.now ?? Date.now;
    // Look the globals up at call time, so fake timers installed after construction still apply.
    this.schedule = options.setTimeout ?? ((callback, delayMs): unknown => setTimeout(callback, delayMs));
    this.cancel =
      options.clearTimeout ??
      ((handle): void => {
        clearTimeout(handle as ReturnType<typeof setTimeout>);
      });
    this.metrics = options.metrics ?? {};
  }

  /** Number of keys waiting to be handed out (not counting keys being processed or delayed). */
  get length(): number {
    return this.queue.length;
  }

  /** True once `shutDown()` was called; adds are ignored from then on. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Enqueues a key unless it is already queued; if it is being processed, re-queues it on `done`. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.metrics.onAdd?.();
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /**
   * Resolves with the next key (FIFO), waiting while the queue is empty, and marks it as being
   * processed; the caller must call `done(key)`. Resolves `undefined` once the queue shuts down.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.handOut(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends processing of a key; if it was added meanwhile it goes back to the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
  }

  /**
   * Adds the key after `delayMs` (controller-runtime's `requeueAfter`). If a delayed add for the key
   * is already pending, the earlier of the two wins: the key is reconciled at the first time anyone
   * asked for, and that reconcile can ask again.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) this.cancel(pending.handle);
    const handle = this.schedule(() => this.fireDelayed(key), delayMs);
    this.delayed.set(key, { at, handle });
  }

  /**
   * Re-adds the key after an exponential backoff (base * 2^failures, capped), counting one more
   * failure for it. Used after a failed reconcile so a broken object does not spin the workers.
   */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    const failures = this.numRequeues(key);
    this.failures.set(key, failures + 1);
    this.metrics.onRetry?.();
    this.addAfter(key, backoffDelay(failures, this.baseDelayMs, this.maxDelayMs));
  }

  /** Resets the failure count of a key; called after a successful reconcile. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Number of consecutive failures recorded for a key since the last `forget`. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Stops the queue: cancels delayed adds, ignores further adds, resolves waiting `get()`s undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const pending of this.delayed.values()) this.cancel(pending.handle);
    this.delayed.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      waiter(this.handOut(key));
      return;
    }
    this.queue.push(key);
    this.metrics.onDepth?.(this.queue.length);
  }

  private handOut(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    this.metrics.onDepth?.(this.queue.length);
    return key;
  }

  private fireDelayed(key: string): void {
    this.delayed.delete(key);
    this.add(key);
  }
}

/** client-go's ItemExponentialFailureRateLimiter: base * 2^failures, capped at max. */
function backoffDelay(failures: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(baseDelayMs * 2 ** failures, maxDelayMs);
}

/**
 * Called with the key and the error of a failed reconcile; the key is already being retried, unless
 * the error is terminal ({@link isTerminalError}).
 */
export type ReconcileErrorHandler = (key: string, error: unknown) => void;

/** One reconcile of one key; return `{ requeueAfterMs }` to be called again later without an error. */
export type ReconcileKey = (key: string) => Promise<ReconcileOutcome | void>;

/**
 * Runs `concurrency` worker loops over the queue, as controller-runtime's controller does. On success
 * the key's backoff is forgotten and an optional `requeueAfterMs` is honoured; on error the key is
 * re-added with backoff and `onError` is told; on a {@link TerminalError} `onError` is told, the
 * backoff forgotten and the key not re-added. Resolves when the queue shuts down and every loop has
 * finished its current key.
 */
export async function runWorkers(
  queue: WorkQueue,
  concurrency: number,
  reconcile: ReconcileKey,
  onError: ReconcileErrorHandler,
): Promise<void> {
  const loops = Array.from({ length: concurrency }, () => workerLoop(queue, reconcile, onError));
  await Promise.all(loops);
}

async function workerLoop(
  queue: WorkQueue,
  reconcile: ReconcileKey,
  onError: ReconcileErrorHandler,
): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    await processKey(queue, key, reconcile, onError);
  }
}

async function processKey(
  queue: WorkQueue,
  key: string,
  reconcile: ReconcileKey,
  onError: ReconcileErrorHandler,
): Promise<void> {
  try {
    const outcome = await reconcile(key);
    queue.forget(key);
    if (outcome?.requeueAfterMs !== undefined) queue.addAfter(key, outcome.requeueAfterMs);
  } catch (error) {
    // Re-add before reporting, so a throwing handler cannot lose the retry.
    if (isTerminalError(error)) queue.forget(key);
    else queue.addRateLimited(key);
    onError(key, error);
  } finally {
    queue.done(key);
  }
}
