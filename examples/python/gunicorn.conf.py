# Read automatically by `gunicorn app:app` when started from this directory.
import os

bind = "0.0.0.0:" + os.environ.get("PORT", "8080")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"
# The runtime control socket lives under $HOME, which a container user may not have.
control_socket_disable = True
