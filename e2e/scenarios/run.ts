/**
 * Runs scenarios one after the other outside a test runner (the kind suite), reporting each.
 */
import type { Scenario, ScenarioDriver } from "./driver.js";

export interface ScenarioOutcome {
  name: string;
  ok: boolean;
  ms: number;
  error?: unknown;
}

/**
 * Runs `scenarios` in order, each to its end even when an earlier one failed (none depends on
 * another), with progress through `driver.log`. Resolves with the outcomes; never rejects.
 */
export async function runScenarios(
  driver: ScenarioDriver,
  scenarios: readonly Scenario[],
): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const [i, scenario] of scenarios.entries()) {
    const label = `[${i + 1}/${scenarios.length}] ${scenario.name}`;
    driver.log?.(`RUN  ${label}`);
    const started = Date.now();
    try {
      await scenario.run(driver);
      const ms = Date.now() - started;
      outcomes.push({ name: scenario.name, ok: true, ms });
      driver.log?.(`PASS ${label} (${ms} ms)`);
    } catch (error) {
      const ms = Date.now() - started;
      outcomes.push({ name: scenario.name, ok: false, ms, error });
      driver.log?.(`FAIL ${label} (${ms} ms)\n${describe(error)}`);
    }
  }
  return outcomes;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return (error.stack ?? `${error.name}: ${error.message}`)
    .split("\n")
    .map((line) => `     ${line}`)
    .join("\n");
}
