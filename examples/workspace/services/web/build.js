// Builds the static site into dist/: the page's text comes from the workspace's greeting
// library, at build time.
const fs = require("node:fs");
const path = require("node:path");
const { greeting } = require("@acme/greeting");

const out = path.join(__dirname, "dist");
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const page = fs
  .readFileSync(path.join(__dirname, "src", "index.html"), "utf8")
  .replace("{{greeting}}", greeting("web"));
fs.writeFileSync(path.join(out, "index.html"), page);
fs.copyFileSync(path.join(__dirname, "src", "style.css"), path.join(out, "style.css"));
console.log("built dist/");
