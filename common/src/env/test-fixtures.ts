import { expect } from "vitest";
import { ConfigError } from "./errors.js";

/** The ConfigError that `read` throws (fails the test if it throws nothing or something else). */
export function configError(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

/** What every ConfigError about `variable` must look like. */
export function expectConfigError(error: ConfigError, variable: string, fragment: string): void {
  expect(error.variable).toBe(variable);
  expect(error.message.startsWith(`${variable}: `)).toBe(true);
  expect(error.message).toContain(fragment);
  expect(error.name).toBe("ConfigError");
}
