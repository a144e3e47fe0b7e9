/**
 * A recording reverse proxy in front of the kube-apiserver, for tests that check which requests the
 * operator makes: plain HTTP on a free loopback port towards the apiserver's HTTPS (verified with its
 * CA), every request recorded (method, path, query), bodies and watch streams passed through as they
 * come. The operator's kubeconfig points at it; its token travels in the Authorization header.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { request } from "node:https";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";

/** One request as the proxy saw it. */
export interface RecordedRequest {
  method: string;
  /** The URL path, e.g. `/apis/hugr.io/v1alpha1/namespaces/hugr/hugrdatasources/analytics`. */
  path: string;
  /** The query, parsed. */
  query: URLSearchParams;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT`: the server to put in a kubeconfig. */
  url: string;
  /** Every request so far, in arrival order. */
  requests(): readonly RecordedRequest[];
  /** Stops listening and cuts open connections (watches among them). */
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`https://127.0.0.1:PORT`), trusting the CA in `caPath`. */
export async function startRecordingProxy(target: string, caPath: string): Promise<RecordingProxy> {
  const ca = await readFile(caPath, "utf8");
  const upstream = new URL(target);
  const recorded: RecordedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", upstream);
    recorded.push({ method: req.method ?? "", path: url.pathname, query: url.searchParams });
    const forward = request(
      url,
      { method: req.method, headers: { ...req.headers, host: upstream.host }, ca },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The client gave up (a watch it stopped, say): so does the request upstream.
    res.on("close", () => forward.destroy());
    forward.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`recording proxy: ${error.message}`);
    });
    req.pipe(forward);
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => recorded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
