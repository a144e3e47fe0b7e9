import { describe, expect, it } from "vitest";
import { apiRoots, managementRoutes, nodeRoutes, routePath, type Route } from "./contract.js";

const all: [string, Route<string, unknown>][] = [
  ...Object.entries(managementRoutes).map(([name, route]): [string, Route<string, unknown>] => [
    `management ${name}`,
    route,
  ]),
  ...Object.entries(nodeRoutes).map(([name, route]): [string, Route<string, unknown>] => [
    `node ${name}`,
    route,
  ]),
];

describe("the routes of both APIs", () => {
  it("fills a pattern's parameters, each percent-encoded", () => {
    expect(routePath(managementRoutes.heartbeat, { node: "worker-0" })).toBe("/v1/nodes/worker-0/heartbeat");
    expect(routePath(nodeRoutes.registerStorage, { name: "my store/1?x" })).toBe(
      "/cluster/v1/storages/my%20store%2F1%3Fx",
    );
    expect(routePath(managementRoutes.nodes, {})).toBe("/v1/nodes");
  });

  it("gives every operation its own method and path", () => {
    const keys = all.map(([, route]) => `${route.method} ${route.pattern}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(all)("%s: lives under its API's root and checks each path parameter", (name, route) => {
    expect(
      route.pattern.startsWith(`${name.startsWith("node") ? apiRoots.node : apiRoots.management}/`),
    ).toBe(true);
    const names = [...route.pattern.matchAll(/:([A-Za-z]+)/gu)].map(([, param]) => param);
    expect(Object.keys(route.params).sort()).toEqual(names.sort());
  });

  it("takes a body on the routes that carry one, and never on GET", () => {
    const withBody = all.filter(([, route]) => route.body !== undefined).map(([name]) => name);
    expect(withBody.sort()).toEqual(
      [
        "management heartbeat",
        "management invalidateCache",
        "management putDataSource",
        "management register",
        "management registerStorage",
        "node invalidateCache",
        "node registerStorage",
      ].sort(),
    );
    expect(all.filter(([, route]) => route.method === "GET" && route.body !== undefined)).toEqual([]);
  });
});
