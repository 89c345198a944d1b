"""Copies an image of the private Docker engine into the local registry, layers uncompressed.

    python3 registry_push.py IMAGE REGISTRY REPOSITORY:TAG

`docker push` gzips every layer, which costs minutes of CPU for the stand-in base images; the
registry and BuildKit take uncompressed OCI layers as well, and on loopback size costs
nothing. The image is read with `docker save` (DOCKER_HOST), each blob is uploaded unless the
registry has it, then an OCI manifest names them. An image whose manifest is already there
with the same config is skipped.
"""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request

TIMEOUT = 300
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar"


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def put_blob(base, repo, open_blob):
    """Uploads the blob `open_blob()` reads, unless the registry has it; its digest and size."""
    hasher = hashlib.sha256()
    size = 0
    with open_blob() as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            hasher.update(chunk)
            size += len(chunk)
    digest = "sha256:" + hasher.hexdigest()
    status, _, _ = request("HEAD", f"{base}/v2/{repo}/blobs/{digest}")
    if status == 200:
        return digest, size
    status, headers, body = request("POST", f"{base}/v2/{repo}/blobs/uploads/")
    if status != 202:
        sys.exit(f"registry_push: starting an upload to {repo} failed: {status} {body[:200]!r}")
    location = headers["Location"]
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    with open_blob() as f:
        status, _, body = request(
            "PUT",
            f"{location}{sep}digest={digest}",
            data=f,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
        )
    if status != 201:
        sys.exit(f"registry_push: uploading {digest} to {repo} failed: {status} {body[:200]!r}")
    return digest, size


def image_id(image):
    out = subprocess.run(
        ["/usr/bin/docker", "image", "inspect", "-f", "{{.Id}}", image],
        check=True,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return out.stdout.strip()


def already_there(base, repo, tag, config_digest):
    status, _, body = request(
        "GET", f"{base}/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST}
    )
    return status == 200 and json.loads(body).get("config", {}).get("digest") == config_digest


def main():
    image, registry, target = sys.argv[1:4]
    repo, tag = target.rsplit(":", 1)
    base = f"http://{registry}"
    if already_there(base, repo, tag, image_id(image)):
        print(f"registry_push: {registry}/{target} is up to date")
        return
    with tempfile.TemporaryFile(dir=os.environ.get("TMPDIR")) as saved:
        subprocess.run(
            ["/usr/bin/docker", "save", image], check=True, stdout=saved, timeout=TIMEOUT
        )
        saved.seek(0)
        with tarfile.open(fileobj=saved, mode="r:") as tar:
            entry = json.load(tar.extractfile("manifest.json"))[0]
            # a layer that several images share may be a link to another member
            layers = [put_blob(base, repo, lambda p=p: tar.extractfile(p)) for p in entry["Layers"]]
            config_digest, config_size = put_blob(
                base, repo, lambda: tar.extractfile(entry["Config"])
            )
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": LAYER, "digest": d, "size": s} for d, s in layers],
    }
    status, _, body = request(
        "PUT",
        f"{base}/v2/{repo}/manifests/{tag}",
        data=json.dumps(manifest).encode(),
        headers={"Content-Type": MANIFEST},
    )
    if status != 201:
        sys.exit(f"registry_push: the manifest of {target} was refused: {status} {body[:300]!r}")
    print(f"registry_push: {image} -> {registry}/{target} ({len(layers)} layers)")


if __name__ == "__main__":
    main()
