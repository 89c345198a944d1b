// A library shared by the api and web services of the workspace.
const isNumber = require("is-number");

function greeting(name, visits) {
  const count = isNumber(visits) ? ` (visit ${visits})` : "";
  return `Hello, ${name}!${count}`;
}

module.exports = { greeting };
