/**
 * The end-to-end scenarios (e2e/scenarios/scenarios.ts) on a real kube-apiserver, with the operator
 * and the work nodes as local processes: the same steps the kind suite (e2e/kind) runs on real pods.
 * Needs the envtest binaries (`export KUBEBUILDER_ASSETS="$(make -s envtest)"`), PostgreSQL's server
 * programs and `make build` (the operator and the workers run from dist/).
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { startScenarioEnvironment, type ScenarioEnvironment } from "./envtest.js";
import { SCENARIOS } from "./scenarios.js";

const TIMEOUT_MS = 30_000;

let environment: ScenarioEnvironment;

beforeAll(async () => {
  environment = await startScenarioEnvironment({ timeoutMs: TIMEOUT_MS });
}, 180_000);

afterAll(async () => {
  await environment?.stop();
});

describe("end-to-end scenarios on envtest", () => {
  for (const scenario of SCENARIOS) {
    // A scenario waits up to TIMEOUT_MS for each of a few convergences.
    it(scenario.name, () => scenario.run(environment.driver), 4 * TIMEOUT_MS);
  }
});
