import type { AccessRules } from "./access.js";
import type { RequestCache } from "./caching/results.js";
import type { Querier, SourceEngine } from "./engine.js";

/**
 * The transactions of one GraphQL request, one per data source it writes to. hugr runs all the
 * mutations of a request atomically: the first write to a source begins its transaction, later
 * fields reuse it, and when execution ends everything commits, or rolls back if any field failed.
 */
export interface RequestTransactions {
  /** This request's transaction on `engine`, begun on first use. */
  querier(engine: SourceEngine): Promise<Querier>;
  /** True once a transaction was begun: a request that wrote nothing has nothing to finish. */
  begun(): boolean;
  /**
   * Runs `write` after the writes queued before it have settled. GraphQL runs only the top-level
   * fields of a mutation one after another; the fields inside a module (`mutation { core { a b } }`)
   * would run at once, so each write queues here, in document order, and sees the ones before it.
   */
  inOrder<T>(write: () => Promise<T>): Promise<T>;
  /** Commits (`true`) or rolls back every transaction begun; rejects when a commit fails. */
  finish(commit: boolean): Promise<void>;
}

/** What the engine's resolvers need from the request's context. */
export interface SourceRequestContext {
  sourceTransactions: RequestTransactions;
  /** The permissions of the request's role; absent: everything is allowed (the node's own calls). */
  access?: AccessRules;
  /** The node's result cache for this request; absent: nothing is cached. */
  cache?: RequestCache;
}

interface Open {
  querier: Promise<Querier>;
  end(commit: boolean): void;
  done: Promise<void>;
}

/** Thrown inside the engine's transaction callback to make it roll back. */
class Rollback extends Error {}

export function createRequestTransactions(): RequestTransactions {
  const open = new Map<SourceEngine, Open>();
  let queue: Promise<unknown> = Promise.resolve();
  return {
    inOrder(write) {
      const next = queue.then(write, write);
      queue = next.catch(() => undefined);
      return next;
    },
    querier(engine) {
      let entry = open.get(engine);
      if (!entry) {
        entry = begin(engine);
        open.set(engine, entry);
      }
      return entry.querier;
    },
    begun: () => open.size > 0,
    async finish(commit) {
      const entries = [...open.values()];
      open.clear();
      for (const entry of entries) entry.end(commit);
      const outcomes = await Promise.allSettled(entries.map((entry) => entry.done));
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}

/**
 * Holds the engine's callback-style transaction open until `end` is called: the callback hands out
 * its querier, then waits for the request's verdict.
 */
function begin(engine: SourceEngine): Open {
  let end!: (commit: boolean) => void;
  const verdict = new Promise<boolean>((resolve) => (end = resolve));
  let handOut!: (querier: Querier) => void;
  let refuse!: (error: unknown) => void;
  const querier = new Promise<Querier>((resolve, reject) => {
    handOut = resolve;
    refuse = reject;
  });
  let begun = false;
  const done = engine
    .transaction(async (tx) => {
      begun = true;
      handOut(tx);
      if (!(await verdict)) throw new Rollback("the request failed");
    })
    .catch((error: unknown) => {
      refuse(error);
      // A transaction that never began (a read-only core database refuses to) was reported by
      // `querier`, as the field's error; only a failed commit is the request's.
      if (begun && !(error instanceof Rollback)) throw error;
    });
  // A failed BEGIN is reported by `querier`; `done` must not also surface as unhandled.
  done.catch(() => undefined);
  return { querier, end, done };
}
