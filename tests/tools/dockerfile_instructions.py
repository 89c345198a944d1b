"""Parse Dockerfiles with BuildKit's own parser (the `dockerfile` package wraps
moby/buildkit's parser) and print their instructions as JSON, one list per file."""

import json
import sys

import dockerfile


def main() -> int:
    out = {}
    for path in sys.argv[1:]:
        try:
            commands = dockerfile.parse_file(path)
        except dockerfile.GoParseError as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 1
        out[path] = [
            {"cmd": c.cmd, "flags": list(c.flags), "value": list(c.value), "json": c.json}
            for c in commands
        ]
    json.dump(out, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
