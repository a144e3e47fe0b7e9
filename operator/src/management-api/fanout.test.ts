import { describe, expect, it } from "vitest";
import { fanOut } from "./fanout.js";

const nodes = [{ name: "w1" }, { name: "w2" }, { name: "w3" }];

describe("fanOut", () => {
  it("succeeds only when every node succeeded, and reports each node", async () => {
    const result = await fanOut(nodes, async () => ({ success: true, error: "" }), {
      action: "load",
      skipped: 0,
    });
    expect(result.success).toBe(true);
    expect(result.message).toBe("load: done on 3 node(s)");
    expect(result.nodes.map((n) => [n.node, n.success])).toEqual([
      ["w1", true],
      ["w2", true],
      ["w3", true],
    ]);
  });

  it("reports a partial failure as failure, naming each failed node and its error", async () => {
    const result = await fanOut(
      nodes,
      async (node) => {
        if (node.name === "w2") return { success: false, error: "catalog does not parse" };
        if (node.name === "w3") throw new Error("connect ECONNREFUSED 127.0.0.1:15003");
        return { success: true, error: "" };
      },
      { action: "load", skipped: 1 },
    );
    expect(result.success).toBe(false);
    expect(result.message).toBe(
      "load: failed on 2 of 3 node(s): w2: catalog does not parse; w3: connect ECONNREFUSED 127.0.0.1:15003; " +
        "1 not-ready node(s) will converge when ready",
    );
  });

  it("never calls an operation on zero nodes a success", async () => {
    const result = await fanOut([], async () => ({ success: true, error: "" }), {
      action: "load",
      skipped: 2,
    });
    expect(result).toEqual({ success: false, message: "load: no ready nodes in the cluster", nodes: [] });
  });

  it("runs the nodes in parallel", async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pending = fanOut(
      nodes,
      async (node) => {
        started.push(node.name);
        await gate;
        return { success: true, error: "" };
      },
      { action: "load", skipped: 0 },
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toEqual(["w1", "w2", "w3"]);
    release();
    expect((await pending).success).toBe(true);
  });
});
