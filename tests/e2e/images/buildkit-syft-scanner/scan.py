"""A minimal SBOM scanner for BuildKit's scanner protocol (see the Dockerfile)."""

import datetime
import hashlib
import json
import os
import pathlib

MAX_FILES = 200_000


def dpkg(root):
    """(name, version, purl) of every installed Debian package."""
    texts = []
    status = root / "var/lib/dpkg/status"
    if status.is_file():
        texts.append(status.read_text(errors="replace"))
    status_d = root / "var/lib/dpkg/status.d"
    if status_d.is_dir():
        texts += [f.read_text(errors="replace") for f in sorted(status_d.iterdir()) if f.is_file()]
    for text in texts:
        for block in text.split("\n\n"):
            fields = dict(
                line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != " "
            )
            installed = fields.get("Status", "install ok installed").endswith(" installed")
            if "Package" in fields and "Version" in fields and installed:
                name, version = fields["Package"], fields["Version"]
                yield name, version, f"pkg:deb/debian/{name}@{version}"


def walk(root):
    """Files below root, bounded, without following links."""
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in ("proc", "sys", "dev")]
        for name in filenames:
            count += 1
            if count > MAX_FILES:
                return
            yield pathlib.Path(dirpath, name)


def packages(root):
    """Debian packages, npm packages and Python distributions found in the image."""
    found = set(dpkg(root))
    for path in walk(root):
        above = path.parent.parent
        in_node_modules = above.name == "node_modules" or (
            above.name.startswith("@") and above.parent.name == "node_modules"
        )
        if path.name == "package.json" and in_node_modules:
            try:
                meta = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if isinstance(meta, dict) and meta.get("name") and meta.get("version"):
                found.add((meta["name"], meta["version"], f"pkg:npm/{meta['name']}@{meta['version']}"))
        elif path.name == "METADATA" and path.parent.name.endswith(".dist-info"):
            fields = dict(
                line.split(": ", 1) for line in path.read_text(errors="replace").splitlines()[:20]
                if ": " in line
            )
            if "Name" in fields and "Version" in fields:
                found.add((fields["Name"], fields["Version"], f"pkg:pypi/{fields['Name']}@{fields['Version']}"))
    return sorted(found)


def main():
    root = pathlib.Path(os.environ["BUILDKIT_SCAN_SOURCE"])
    out = pathlib.Path(os.environ["BUILDKIT_SCAN_DESTINATION"])
    found = packages(root)
    spdx_packages = [
        {
            "name": name,
            "SPDXID": f"SPDXRef-Package-{i}",
            "versionInfo": version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "externalRefs": [
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}
            ],
        }
        for i, (name, version, purl) in enumerate(found)
    ]
    digest = hashlib.sha256(json.dumps(found).encode()).hexdigest()
    document = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "image",
        "documentNamespace": f"https://mbgen.invalid/sbom/{digest}",
        "creationInfo": {
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "creators": ["Tool: mbgen-e2e-sbom-stand-in"],
        },
        "packages": spdx_packages,
        "relationships": [
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": p["SPDXID"]}
            for p in spdx_packages
        ],
    }
    statement = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://spdx.dev/Document",
        "subject": [],
        "predicate": document,
    }
    (out / "sbom.spdx.json").write_text(json.dumps(statement))
    print(f"mbgen-sbom-scan: {len(found)} packages in {root}")


if __name__ == "__main__":
    main()
