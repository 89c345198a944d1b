"""No signal handler, like most apps. gunicorn serves `application` (and handles SIGTERM
itself: a graceful stop); `python app.py` serves it with the standard library alone, which as
PID 1 would ignore `docker stop`'s SIGTERM."""

import time
from wsgiref.simple_server import WSGIServer, make_server
from socketserver import ThreadingMixIn


def application(environ, start_response):
    # /slow answers after a second: the request the e2e suite keeps in flight during a stop.
    if environ.get("PATH_INFO") == "/slow":
        time.sleep(1)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


if __name__ == "__main__":
    make_server("0.0.0.0", 8080, application, server_class=ThreadingServer).serve_forever()
