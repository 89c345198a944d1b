#!/bin/sh
# As in the official node image: run the command with node when the first
# argument is an option, is not a command on PATH, or is a file that is not
# executable (e.g. `docker run IMAGE server.js`).
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1" 2>/dev/null)" ] ||
    { [ -f "$1" ] && ! [ -x "$1" ]; }; then
    set -- node "$@"
fi
exec "$@"
