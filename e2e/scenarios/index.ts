export type { GraphQLResult, KubectlResult, Scenario, ScenarioDriver } from "./driver.js";
export { SCENARIOS } from "./scenarios.js";
export { runScenarios, type ScenarioOutcome } from "./run.js";
