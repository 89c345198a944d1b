// Minimal declarations for the few Node and express APIs this server uses,
// so that `typescript` is the only devDependency (no @types packages).

declare const process: {
  env: Record<string, string | undefined>;
  on(event: "SIGTERM" | "SIGINT", listener: () => void): void;
  exit(code?: number): never;
};

declare const console: {
  log(...args: unknown[]): void;
};

declare function setTimeout(callback: () => void, ms: number): { unref(): void };

declare module "express" {
  interface Request {
    method: string;
    path: string;
  }

  interface Response {
    status(code: number): Response;
    type(contentType: string): Response;
    send(body: string): Response;
  }

  interface Server {
    close(callback?: (err?: Error) => void): Server;
    closeIdleConnections(): void;
  }

  interface Application {
    get(path: string, handler: (req: Request, res: Response) => void): Application;
    listen(port: number, host: string, callback?: () => void): Server;
  }

  function express(): Application;
  export = express;
}
