import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";

describe("ConfigError", () => {
  it.each(["CLUSTER_SECRET", "SECRET_KEY", "CACHE_L2_PASSWORD"])("hides the value of %s", (variable) => {
    const error = new ConfigError(variable, "is wrong", "p@ss");
    expect(error.message).toBe(`${variable}: is wrong (value hidden)`);
    expect(error.variable).toBe(variable);
  });

  it("masks passwords in URLs of any variable", () => {
    expect(new ConfigError("CLUSTER_MANAGEMENT_URL", "is wrong", "http://u:pw@management").message).toBe(
      'CLUSTER_MANAGEMENT_URL: is wrong (got "http://u:***@management")',
    );
    expect(new ConfigError("CORE_DB_PATH", "is wrong", "postgres://u@db/x").message).toBe(
      'CORE_DB_PATH: is wrong (got "postgres://u@db/x")',
    );
  });

  it("is an Error that carries no value", () => {
    const error = new ConfigError("BIND", "is wrong", "abc");
    expect(error).toBeInstanceOf(Error);
    expect(Object.values(error)).not.toContain("abc");
  });

  it("hides the value of any variable when told it is secret", () => {
    expect(new ConfigError("MY_TOKEN", "is wrong", "t0ken", true).message).toBe(
      "MY_TOKEN: is wrong (value hidden)",
    );
    expect(new ConfigError("MY_TOKEN", "is wrong", "t0ken").message).toBe('MY_TOKEN: is wrong (got "t0ken")');
  });
});
