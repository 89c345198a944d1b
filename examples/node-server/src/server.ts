import express = require("express");

const port = Number(process.env.PORT ?? "8080");
const app = express();

app.get("/", (_req, res) => {
  res.type("text/plain").send("Hello from mbgen node-server\n");
});

app.get("/healthz", (_req, res) => {
  res.type("text/plain").send("ok\n");
});

const server = app.listen(port, "0.0.0.0", () => {
  console.log(`listening on 0.0.0.0:${port}`);
});

function shutdown(signal: string): void {
  console.log(`${signal} received, shutting down`);
  server.close(() => process.exit(0));
  // Do not wait forever on idle keep-alive connections.
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
}

process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
