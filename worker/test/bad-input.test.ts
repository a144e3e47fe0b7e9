import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type PostgresInstance } from "./harness/postgres.js";
import { startInProcessWorker, type InProcessWorker } from "./harness/worker.js";
import { ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES } from "./reference-queries.js";

/**
 * Bad input gets a clear, specific answer and changes nothing: every case below is followed by a
 * check that the core database holds exactly what it held before.
 */
let pg: PostgresInstance;
let node: InProcessWorker;
let snapshot: string;

async function coreDbSnapshot(): Promise<string> {
  const tables = ["data_sources", "catalog_sources", "data_source_catalogs", "roles"];
  const parts = await Promise.all(
    tables.map((t) => node.worker.db.query(`SELECT to_jsonb(t) AS row FROM ${t} t ORDER BY 1::text`)),
  );
  return JSON.stringify(parts);
}

beforeAll(async () => {
  pg = await startPostgres();
  node = await startInProcessWorker({ CORE_DB_PATH: pg.url });
  const seeded = await node.gql(ADD_DATA_SOURCE, ADD_DATA_SOURCE_VARIABLES);
  expect(seeded.body.errors).toBeUndefined();
  snapshot = await coreDbSnapshot();
});
afterAll(async () => {
  await node?.close();
  await pg?.stop();
});

interface RawCase {
  name: string;
  /** A JSON body for POST, or the query string of a GET. */
  body: string;
  method?: "GET";
  status: number;
  message: RegExp;
}

/** The errors' messages of a GraphQL or management error body, or the raw text of any other body. */
async function errorMessages(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { errors?: { message: string }[] };
    return body.errors?.map((e) => e.message).join("\n") ?? text;
  } catch {
    return text;
  }
}

const deep = (levels: number): string => "{ core ".repeat(levels) + "}".repeat(levels);

const rawCases: RawCase[] = [
  { name: "malformed JSON", body: '{"query": "{ core {', status: 400, message: /JSON/i },
  { name: "JSON that is not an object", body: "[1, 2]", status: 400, message: /./ },
  { name: "missing query", body: '{"variables": {}}', status: 400, message: /query/i },
  {
    name: "GraphQL syntax error",
    body: JSON.stringify({ query: "{ core { data_sources { name }" }),
    status: 400,
    message: /Syntax Error/,
  },
  {
    name: "unknown field",
    body: JSON.stringify({ query: "{ core { data_sources { name password } } }" }),
    status: 400,
    message: /Cannot query field "password"/,
  },
  {
    name: "wrong argument type",
    body: JSON.stringify({ query: '{ core { data_sources(limit: "ten") { name } } }' }),
    status: 400,
    message: /Int cannot represent/,
  },
  {
    name: "unknown filter operator",
    body: JSON.stringify({
      query: '{ core { data_sources(filter: { name: { contains: "x" } }) { name } } }',
    }),
    status: 400,
    message: /contains/,
  },
  {
    name: "missing required variable",
    body: JSON.stringify({ query: ADD_DATA_SOURCE, variables: {} }),
    status: 400,
    message: /\$data/,
  },
  {
    name: "a variable with a field the input type lacks",
    body: JSON.stringify({
      query: ADD_DATA_SOURCE,
      variables: { data: { ...ADD_DATA_SOURCE_VARIABLES.data, name: "other", owner: "me" } },
    }),
    status: 400,
    message: /owner/,
  },
  {
    name: "a 500-level nested query",
    body: JSON.stringify({ query: deep(500) }),
    status: 400,
    message: /depth limit/,
  },
  {
    name: "a document of 20,000 tokens",
    body: JSON.stringify({ query: `{ core { data_sources { ${"name ".repeat(20_000)} } } }` }),
    status: 400,
    message: /token/i,
  },
  {
    name: "a query with 200 aliases",
    body: JSON.stringify({
      query: `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: core { __typename }`).join(" ")} }`,
    }),
    status: 400,
    message: /Aliases limit/,
  },
  {
    name: "a 10 MB body",
    body: " ".repeat(10 * 1024 * 1024),
    status: 413,
    message: /too large/,
  },
  {
    name: "a mutation over GET is refused",
    method: "GET",
    body: `query=${encodeURIComponent("mutation { core { delete_data_sources(filter: {}) { name } } }")}`,
    status: 405,
    message: /./,
  },
];

describe("bad input over HTTP", () => {
  it.each(rawCases)("$name -> $status", async (c) => {
    const accept = { accept: "application/graphql-response+json" };
    const response =
      c.method === "GET"
        ? await fetch(`${node.url}/graphql?${c.body}`, { headers: accept })
        : await fetch(`${node.url}/graphql`, {
            method: "POST",
            headers: { ...accept, "content-type": "application/json" },
            body: c.body,
          });
    expect(response.status).toBe(c.status);
    expect(await errorMessages(response)).toMatch(c.message);
    expect(await coreDbSnapshot()).toBe(snapshot);
  });

  it("a chunked body (no Content-Length) is counted as it is read: 413 past the limit, answered below it", async () => {
    const post = (bytes: number) => {
      const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= bytes) return controller.close();
          controller.enqueue(chunk);
          sent += chunk.byteLength;
        },
      });
      return fetch(`${node.url}/graphql`, {
        method: "POST",
        headers: { accept: "application/graphql-response+json", "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
    };
    const tooLarge = await post(2 * 1024 * 1024);
    expect(tooLarge.status).toBe(413);
    expect(await errorMessages(tooLarge)).toMatch(/too large/);
    const small = await fetch(`${node.url}/graphql`, {
      method: "POST",
      headers: { accept: "application/graphql-response+json", "content-type": "application/json" },
      body: new Blob([JSON.stringify({ query: "{ __typename }" })]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(small.status).toBe(200);
    expect(await small.json()).toEqual({ data: { __typename: "Query" } });
    expect(await coreDbSnapshot()).toBe(snapshot);
  });

  it("cannot filter or aggregate a DSN or an API key: like or max would reveal what the mask hides", async () => {
    for (const [query, message] of [
      [`{ core { data_sources(filter: { path: { like: "%secret%" } }) { name } } }`, /"path" is not defined/],
      [`{ core { data_sources_aggregation { path { max } } } }`, /Cannot query field "path"/],
      [`{ core { api_keys(filter: { key: { eq: "k" } }) { name } } }`, /"key" is not defined/],
      [`{ core { api_keys_aggregation { key { min } } } }`, /Cannot query field "key"/],
    ] as const) {
      const { body } = await node.gql(query);
      expect(body.errors?.[0]?.extensions?.code, query).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(body.errors?.[0]?.message, query).toMatch(message);
    }
  });
});

interface GraphQLCase {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  code: string;
  message: RegExp;
}

const graphqlCases: GraphQLCase[] = [
  {
    name: "a duplicate data source name",
    query: ADD_DATA_SOURCE,
    variables: ADD_DATA_SOURCE_VARIABLES,
    code: "ALREADY_EXISTS",
    message: /data source 'analytics' already exists/,
  },
  {
    name: "an unknown data source type",
    query: ADD_DATA_SOURCE,
    variables: { data: { ...ADD_DATA_SOURCE_VARIABLES.data, name: "x", type: "oracle" } },
    code: "INVALID_INPUT",
    message: /unknown data source type 'oracle'/,
  },
  {
    name: "a name that is not an identifier",
    query: ADD_DATA_SOURCE,
    variables: { data: { ...ADD_DATA_SOURCE_VARIABLES.data, name: "bad name; drop" } },
    code: "INVALID_INPUT",
    message: /must start with a letter/,
  },
  {
    name: "an unknown catalog type",
    query: ADD_DATA_SOURCE,
    variables: {
      data: {
        ...ADD_DATA_SOURCE_VARIABLES.data,
        name: "y",
        catalogs: [{ name: "c", type: "ftp", path: "/x" }],
      },
    },
    code: "INVALID_INPUT",
    message: /unknown catalog type 'ftp'/,
  },
  {
    name: "an update that sets nothing",
    query: `mutation { core { update_data_sources(filter: { name: { eq: "analytics" } }, data: {}) { name } } }`,
    code: "INVALID_INPUT",
    message: /at least one field/,
  },
  {
    name: "an update that nulls a required field",
    query: `mutation { core { update_data_sources(filter: { name: { eq: "analytics" } }, data: { path: null }) { name } } }`,
    code: "INVALID_INPUT",
    message: /path must not be empty/,
  },
  {
    name: "a null filter operand",
    query: `mutation { core { delete_data_sources(filter: { name: { eq: null } }) { name } } }`,
    code: "INVALID_FILTER",
    message: /is_null/,
  },
  {
    name: "an order_by on an unknown field",
    query: `{ core { data_sources(order_by: [{ field: "password" }]) { name } } }`,
    code: "INVALID_FILTER",
    message: /password/,
  },
  {
    // The core module's tables are served by the query engine, which reports paging as filters.
    name: "a negative limit",
    query: `{ core { data_sources(limit: -1) { name } } }`,
    code: "INVALID_FILTER",
    message: /limit: must be a non-negative integer/,
  },
];

describe("bad input in GraphQL", () => {
  it.each(graphqlCases)("$name -> $code", async (c) => {
    const { status, body } = await node.gql(c.query, c.variables);
    expect(status).toBe(200);
    expect(body.errors?.[0]?.extensions?.code).toBe(c.code);
    expect(body.errors?.[0]?.message).toMatch(c.message);
    expect(await coreDbSnapshot()).toBe(snapshot);
  });

  it("treats a filter value that looks like SQL as a plain value", async () => {
    for (const value of ["x' OR '1'='1", "analytics'; DROP TABLE data_sources; --", "%' OR 1=1 --"]) {
      const { body } = await node.gql(
        `query($v: String!) { core { data_sources(filter: { name: { eq: $v } }) { name } } }`,
        {
          v: value,
        },
      );
      expect(body).toEqual({ data: { core: { data_sources: [] } } });
      const deleted = await node.gql(
        `mutation($v: String!) { core { delete_data_sources(filter: { _or: [{ name: { eq: $v } }, { description: { like: $v } }] }) { name } } }`,
        { v: value },
      );
      expect(deleted.body).toEqual({ data: { core: { delete_data_sources: [] } } });
    }
    expect(await coreDbSnapshot()).toBe(snapshot);
  });

  it("reports a regular expression PostgreSQL rejects as a filter error", async () => {
    const { body } = await node.gql(`{ core { data_sources(filter: { name: { regex: "(" } }) { name } } }`);
    expect(body.errors?.[0]?.extensions?.code).toBe("INVALID_FILTER");
    expect(body.errors?.[0]?.message).toMatch(/invalid regular expression/);
  });

  it("never sends a database error's internals to the client", async () => {
    // Make the database fail underneath the node: an unexpected error, which must be masked.
    await node.worker.db.query("ALTER TABLE catalog_sources RENAME TO catalog_sources_moved");
    try {
      const { body } = await node.gql(`{ core { data_sources { name catalogs { name } } } }`);
      expect(body.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(body.errors?.[0]?.message).toBe("Unexpected error.");
      expect(JSON.stringify(body)).not.toMatch(/catalog_sources|relation|SELECT|postgres:\/\//);
    } finally {
      await node.worker.db.query("ALTER TABLE catalog_sources_moved RENAME TO catalog_sources");
    }
  });
});
