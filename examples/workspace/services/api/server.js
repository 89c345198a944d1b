// The api service: JSON over HTTP, using the workspace's greeting library.
const http = require("node:http");
const ms = require("ms");
const { greeting } = require("@acme/greeting");

const port = Number(process.env.PORT ?? 8081);
const started = Date.now();

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
    return;
  }
  const body = { message: greeting("api"), uptime: ms(Date.now() - started) };
  res.writeHead(200, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
});

server.listen(port, () => console.log(`api listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
