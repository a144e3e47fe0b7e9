/** The parts of s3rver (an in-process S3 server, plain JavaScript) the test harness uses. */
declare module "s3rver" {
  namespace S3rver {
    interface Options {
      address?: string;
      /** 0 picks a free port. */
      port?: number;
      directory?: string;
      silent?: boolean;
      /** Host suffix of virtual-host requests: `<bucket>.s3.<serviceEndpoint>`. */
      serviceEndpoint?: string;
    }
    /** A Koa context, as far as the harness reads and writes it. */
    interface Context {
      method: string;
      /** Path and query as sent. */
      url: string;
      /** Host and port (X-Forwarded-Host first when `proxy` is on). */
      host: string;
      get(header: string): string;
      status: number;
      type: string;
      body: unknown;
    }
    type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;
  }
  class S3rver {
    constructor(options?: S3rver.Options);
    /** Koa's: trust X-Forwarded-Host. */
    proxy: boolean;
    /** Koa's middleware stack, composed when the server starts. */
    middleware: S3rver.Middleware[];
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
  export = S3rver;
}
