import { describe, expect, it } from "vitest";
import type { Identity } from "../identity.js";
import { accessRules } from "./access.js";
import { authVariables, substitute } from "./placeholders.js";
import {
  dataObjectDisabled,
  dataObjectFilter,
  fieldEnabled,
  fieldVisible,
  rolePermissions,
  type PermissionRow,
} from "./rules.js";

const row = (typeName: string, fieldName: string, rest: Partial<PermissionRow> = {}): PermissionRow => ({
  typeName,
  fieldName,
  hidden: false,
  disabled: false,
  filter: null,
  data: null,
  ...rest,
});
const role = (rows: PermissionRow[], disabled = false) =>
  rolePermissions({ name: "clerk", disabled, canImpersonate: false }, rows);

const identity: Identity = {
  role: "clerk",
  userId: "17",
  userName: "Ada",
  authType: "jwt",
  provider: "corp",
  claims: { region: "north", level: 3 },
};

describe("the most specific row decides", () => {
  const rules = role([
    row("*", "*", { disabled: true }),
    row("*", "secret", { hidden: true }),
    row("orders", "*", { disabled: false }),
    row("orders", "note", { disabled: true }),
  ]);
  it.each([
    ["orders", "note", false, true], // exact
    ["orders", "id", true, true], // (type, *) beats (*, field) and (*, *)
    ["orders", "secret", true, true], // (type, *) beats (*, secret): hidden does not apply
    ["customers", "secret", true, false], // (*, field) beats (*, *)
    ["customers", "id", false, true], // (*, *)
  ])("%s.%s: enabled %s, visible %s", (type, field, enabled, visible) => {
    expect(fieldEnabled(rules, type, field)).toBe(enabled);
    expect(fieldVisible(rules, type, field)).toBe(visible);
  });

  it("allows what no row names, and a disabled role nothing", () => {
    expect(fieldEnabled(role([]), "orders", "id")).toBe(true);
    expect(fieldEnabled(role([], true), "orders", "id")).toBe(false);
  });
});

describe("table-level rows", () => {
  const query = { customer_id: { eq: 1 } };
  const rules = role([
    row("data-object:query", "orders", { filter: query }),
    row("data-object:delete", "*", { disabled: true }),
    row("data-object:update", "orders", { filter: { status: { eq: "new" } } }),
  ]);
  it("update and delete use their own filter, else the query one", () => {
    expect(dataObjectFilter(rules, "orders", "query")).toEqual(query);
    expect(dataObjectFilter(rules, "orders", "update")).toEqual({ status: { eq: "new" } });
    expect(dataObjectFilter(rules, "orders", "delete")).toEqual(query);
    expect(dataObjectFilter(rules, "customers", "query")).toBeUndefined();
  });
  it("a write is refused by its own row or by the query row", () => {
    expect(dataObjectDisabled(rules, "customers", "delete")).toBe(true);
    expect(dataObjectDisabled(rules, "orders", "insert")).toBe(false);
    const unreadable = role([row("data-object:query", "orders", { disabled: true })]);
    expect(dataObjectDisabled(unreadable, "orders", "update")).toBe(true);
  });
});

describe("placeholders", () => {
  it("replace whole strings only, with built-ins winning over claims", () => {
    const vars = authVariables({ ...identity, claims: { role: "spoofed", region: "north" } });
    expect(
      substitute(
        { a: "[$auth.user_id_int]", b: ["[$auth.region]", "x [$auth.role]"], c: "[$auth.role]" },
        vars,
      ),
    ).toEqual({ a: 17, b: ["north", "x [$auth.role]"], c: "clerk" });
  });

  it("make the engine's key personal only when a rule uses them", () => {
    const shared = accessRules(identity, role([row("orders", "*", { filter: { id: { gt: 0 } } })]));
    expect(shared.key).toBe(shared.key.split("\u0000")[0]);
    expect(shared.key).not.toContain("17");
    const rules = role([row("orders", "*", { filter: { id: { eq: "[$auth.user_id]" } } })]);
    const personal = accessRules(identity, rules);
    expect(personal.key).not.toBe(accessRules({ ...identity, userId: "18" }, rules).key);
    expect(personal.fieldFilter("orders", "x")).toEqual({ id: { eq: "17" } });
  });
});
