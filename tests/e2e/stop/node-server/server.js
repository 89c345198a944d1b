// No signal handler, like most apps: as PID 1, Node.js would ignore `docker stop`'s SIGTERM.
const http = require("node:http");

const server = http.createServer((req, res) => {
  // /slow answers after a second: the request the e2e suite keeps in flight during a stop.
  const delay = req.url === "/slow" ? 1000 : 0;
  setTimeout(() => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("ok\n");
  }, delay);
});
server.listen(8080, "0.0.0.0");
