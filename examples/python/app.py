"""Tiny Flask app used as an mbgen example."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return "Hello from mbgen python\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/healthz")
def healthz():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


if __name__ == "__main__":
    import os

    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
