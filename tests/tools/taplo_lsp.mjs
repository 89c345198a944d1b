// taplo's language server on standard input and output, as Even Better TOML runs it: the
// WebAssembly build of @taplo/lsp from npm, hosted by Node.js, speaking LSP's
// Content-Length framing. (The npm @taplo/cli is built without `taplo lsp`, and a native build
// with it takes minutes of compiling; this one installs in seconds.)
//
// Usage: node taplo_lsp.mjs  (run by `taplo lsp stdio`, the wrapper tests/run.sh installs;
// NODE_PATH names the node_modules holding @taplo/lsp).
import { createRequire } from "node:module";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH ?? process.cwd(), "x.js"));
const { TaploLsp } = require("@taplo/lsp");

const environment = {
  now: () => new Date(),
  envVar: (name) => process.env[name],
  envVars: () => Object.entries(process.env),
  stdErrAtty: () => Boolean(process.stderr.isTTY),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  // Only the documents the editor opens are read; no workspace indexing by pattern.
  glob: () => [],
  readFile: (file) => fsp.readFile(file),
  writeFile: (file, bytes) => fsp.writeFile(file, bytes),
  urlToFilePath: (url) => decodeURIComponent(url).slice("file://".length),
  isAbsolute: (file) => path.isAbsolute(file),
  cwd: () => process.cwd(),
  findConfigFile: (from) => {
    for (const name of [".taplo.toml", "taplo.toml"]) {
      const candidate = path.join(from, name);
      if (fs.existsSync(candidate)) return candidate;
    }
    return undefined;
  },
  fetch: { fetch, Headers, Request, Response },
};

function send(message) {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}

const lsp = await TaploLsp.initialize(environment, { onMessage: send });
process.stderr.write("LSP server listening on stdio (@taplo/lsp)\n");

// Frames: `Content-Length: N` headers, a blank line, N bytes of JSON.
let buffer = Buffer.alloc(0);
process.stdin.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    const headers = buffer.subarray(0, end).toString("ascii");
    const match = /Content-Length:\s*(\d+)/i.exec(headers);
    if (!match) {
      process.stderr.write(`taplo_lsp: a frame without Content-Length: ${headers}\n`);
      process.exit(1);
    }
    const length = Number(match[1]);
    if (buffer.length < end + 4 + length) return;
    const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString("utf8"));
    buffer = buffer.subarray(end + 4 + length);
    if (message.method === "exit") process.exit(0);
    lsp.send(message);
  }
});
process.stdin.on("end", () => process.exit(0));
