import { describe, expect, it } from "vitest";
import { dataSourceWithDefaults } from "./data-sources.js";

describe("dataSourceWithDefaults", () => {
  it("gives every absent or null field the default an insert stores", () => {
    expect(
      dataSourceWithDefaults({
        name: "sales",
        type: "postgres",
        path: "postgres://db/sales",
        prefix: null,
        catalogs: [{ name: "sales_sdl", type: "uri", path: "/schemas/sales", description: null }],
      }),
    ).toEqual({
      name: "sales",
      type: "postgres",
      prefix: "",
      description: "",
      path: "postgres://db/sales",
      as_module: false,
      self_defined: false,
      read_only: false,
      disabled: false,
      catalogs: [{ name: "sales_sdl", type: "uri", description: "", path: "/schemas/sales" }],
    });
  });

  it("keeps what is given", () => {
    const given = {
      name: "hr",
      type: "duckdb",
      prefix: "hr",
      description: "people",
      path: "/data/hr.duckdb",
      as_module: true,
      self_defined: true,
      read_only: true,
      disabled: true,
      catalogs: [],
    };
    expect(dataSourceWithDefaults(given)).toEqual(given);
  });
});
