import { describe, expect, it } from "vitest";
import { selectRows } from "./rows.js";

const nodes = [
  { name: "worker-1", version: "1.0.0", ready: true, error: "" },
  { name: "worker-2", version: "1.1.0", ready: false, error: "health check failed" },
  { name: "other", version: "1.0.0", ready: true, error: "" },
];

const names = (rows: { name: string }[]): string[] => rows.map((r) => r.name);

describe("selectRows", () => {
  it("filters with hugr's string and boolean operators", () => {
    expect(names(selectRows(nodes, { filter: { name: { eq: "other" } } }))).toEqual(["other"]);
    expect(names(selectRows(nodes, { filter: { name: { like: "worker-%" } } }))).toEqual([
      "worker-1",
      "worker-2",
    ]);
    expect(names(selectRows(nodes, { filter: { name: { ilike: "WORKER_1" } } }))).toEqual(["worker-1"]);
    expect(names(selectRows(nodes, { filter: { name: { in: ["other", "x"] } } }))).toEqual(["other"]);
    expect(names(selectRows(nodes, { filter: { name: { regex: "-2$" } } }))).toEqual(["worker-2"]);
    expect(names(selectRows(nodes, { filter: { ready: { eq: false } } }))).toEqual(["worker-2"]);
  });

  it("sorts NULLs as SQL does, or first / last when asked", () => {
    const rows = [
      { name: "b", error: null },
      { name: "a", error: "x" },
      { name: "c", error: "y" },
    ];
    const order = (direction: "ASC" | "DESC", nulls?: "FIRST" | "LAST") =>
      names(selectRows(rows, { order_by: [{ field: "error", direction, nulls: nulls ?? null }] }));
    expect(order("ASC")).toEqual(["a", "c", "b"]);
    expect(order("DESC")).toEqual(["b", "c", "a"]);
    expect(order("ASC", "FIRST")).toEqual(["b", "a", "c"]);
    expect(order("DESC", "LAST")).toEqual(["c", "a", "b"]);
  });

  it("combines with _and, _or and _not", () => {
    const filter = {
      _or: [{ name: { eq: "other" } }, { _and: [{ ready: { eq: true } }, { version: { eq: "1.0.0" } }] }],
    };
    expect(names(selectRows(nodes, { filter }))).toEqual(["worker-1", "other"]);
    expect(names(selectRows(nodes, { filter: { _not: [{ ready: { eq: true } }] } }))).toEqual(["worker-2"]);
  });

  it("orders, limits and offsets", () => {
    const ordered = selectRows(nodes, {
      order_by: [{ field: "version", direction: "DESC" }, { field: "name" }],
    });
    expect(names(ordered)).toEqual(["worker-2", "other", "worker-1"]);
    expect(names(selectRows(nodes, { order_by: [{ field: "name" }], limit: 1, offset: 1 }))).toEqual([
      "worker-1",
    ]);
  });

  it("treats LIKE metacharacters of the value literally except % and _", () => {
    expect(
      names(selectRows([{ name: "a.b" }, { name: "axb" }], { filter: { name: { like: "a.b" } } })),
    ).toEqual(["a.b"]);
  });

  it("rejects unsupported operators and null operands", () => {
    expect(() => selectRows(nodes, { filter: { name: { contains: "x" } } })).toThrow(
      "unsupported operator 'contains'",
    );
    expect(() => selectRows(nodes, { filter: { name: { eq: null } } })).toThrow("use is_null");
  });
});
