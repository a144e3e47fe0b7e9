/**
 * The node's lifecycle as readiness sees it: "starting" until the schema is built and the core
 * database answered, "ready" while serving, "draining" after SIGTERM (new traffic should go elsewhere).
 */
export type Phase = "starting" | "ready" | "draining";

export interface Readiness {
  phase(): Phase;
  set(phase: Phase): void;
}

export function createReadiness(initial: Phase = "starting"): Readiness {
  let current = initial;
  return { phase: () => current, set: (phase) => (current = phase) };
}
