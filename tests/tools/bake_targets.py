"""Parse Bake files with python-hcl2 and print, as JSON per file, the attributes of each
group and target block with every string as the value HCL gives it.

python-hcl2 resolves backslash escapes but keeps template sequences as written, so `$${` and
`%%{` are turned into `${` and `%{` here, and a `${` or `%{` that is not escaped (an
interpolation or a directive, which mbgen never writes) is an error."""

import json
import sys

import hcl2
from hcl2.utils import SerializationOptions

OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


def literal(value, where):
    """The value of a template without sequences: `$${` and `%%{` stand for `${` and `%{`."""
    if isinstance(value, list):
        return [literal(v, where) for v in value]
    if isinstance(value, dict):
        return {literal(k, where): literal(v, where) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    out = []
    i = 0
    while i < len(value):
        if value.startswith(("$${", "%%{"), i):
            out.append(value[i] + "{")
            i += 3
        elif value.startswith(("${", "%{"), i):
            raise ValueError(f"{where}: template sequence in {value!r}")
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def blocks(parsed, kind, path):
    """The blocks of one kind by label; a label used twice is an error."""
    out = {}
    for block in parsed.pop(kind, []):
        for label, body in block.items():
            if label in out:
                raise ValueError(f"{path}: {kind} {label!r} is defined twice")
            out[label] = literal(body, f"{path}: {kind} {label!r}")
    return out


def main() -> int:
    out = {}
    for path in sys.argv[1:]:
        try:
            with open(path, encoding="utf-8") as f:
                parsed = hcl2.load(f, serialization_options=OPTIONS)
            groups = blocks(parsed, "group", path)
            targets = blocks(parsed, "target", path)
            # `variable "SOURCE_DATE_EPOCH"` of `source-date-epoch`: its default only.
            variables = blocks(parsed, "variable", path)
            if parsed:
                raise ValueError(f"{path}: unexpected top-level items {sorted(parsed)}")
        except Exception as e:  # noqa: BLE001 - every failure is reported the same way
            print(f"{path}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        out[path] = {"groups": groups, "targets": targets, "variables": variables}
    json.dump(out, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
