/**
 * Test harness: the data of GraphQL requests that must succeed, and a client that keeps every
 * response body (to search for secrets). Kept apart from worker.ts, which also runs outside vitest.
 */
import { expect } from "vitest";
import type { GraphQLResponse, InProcessWorker } from "./worker.js";

type Variables = Record<string, unknown>;

/** The data of a response to a request that must succeed: no errors, HTTP 200. */
export function expectData<T = Record<string, unknown>>({ status, body }: GraphQLResponse): T {
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  expect(status).toBe(200);
  return body.data as T;
}

/** A node's GraphQL endpoint that records each response body. */
export interface RecordingClient {
  /** Sends a request and keeps its response body. */
  gql: (query: string, variables?: Variables) => Promise<GraphQLResponse>;
  /** The data of a request that must succeed (its body kept too). */
  data: <T = Record<string, unknown>>(query: string, variables?: Variables) => Promise<T>;
}

/** A client of `node()` (read at each request: the node may be replaced) pushing every body to `bodies`. */
export function recordingClient(node: () => InProcessWorker, bodies: string[]): RecordingClient {
  const gql = async (query: string, variables?: Variables): Promise<GraphQLResponse> => {
    const response = await node().gql(query, variables);
    bodies.push(JSON.stringify(response.body));
    return response;
  };
  return { gql, data: async (query, variables) => expectData(await gql(query, variables)) };
}
