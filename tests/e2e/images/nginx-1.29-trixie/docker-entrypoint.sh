#!/bin/sh
# Entrypoint in the manner of the official nginx image: when the command is
# nginx, run the executable scripts in /docker-entrypoint.d first (unless
# NGINX_ENTRYPOINT_QUIET_LOGS is set they say what they do).
set -e

say() {
    if [ -z "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ]; then
        echo "$@"
    fi
}

if [ "$1" = "nginx" ] || [ "$1" = "nginx-debug" ]; then
    if find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read -r _; then
        say "$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
        for f in $(find /docker-entrypoint.d/ -mindepth 1 -maxdepth 1 -type f | sort -V); do
            case "$f" in
                *.envsh)
                    if [ -x "$f" ]; then
                        say "$0: Sourcing $f"
                        # shellcheck disable=SC1090
                        . "$f"
                    else
                        say "$0: Ignoring $f, not executable"
                    fi
                    ;;
                *.sh)
                    if [ -x "$f" ]; then
                        say "$0: Launching $f"
                        "$f"
                    else
                        say "$0: Ignoring $f, not executable"
                    fi
                    ;;
                *) say "$0: Ignoring $f" ;;
            esac
        done
        say "$0: Configuration complete; ready for start up"
    else
        say "$0: No files found in /docker-entrypoint.d/, skipping configuration"
    fi
fi

exec "$@"
