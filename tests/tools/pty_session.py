"""Runs a command on a pseudo-terminal and answers its prompts, as a person at a terminal.

Usage: pty_session.py ANSWERS_JSON COMMAND [ARG...]

Each time the output ends with a prompt (a line ending in "] "), the next answer is typed,
followed by Enter. Prints the whole session (prompts, answers echoed by the terminal, output)
and exits with the command's exit code. Bounded: 30 seconds at most.
"""
import json
import os
import pty
import select
import sys
import time

answers = json.loads(sys.argv[1])
command = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(command[0], command)

output = b""
deadline = time.monotonic() + 30
pending = b""
while time.monotonic() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if not ready:
        continue
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    output += data
    pending += data
    if pending.endswith(b"] "):
        pending = b""
        answer = answers.pop(0) if answers else ""
        os.write(fd, (answer + "\n").encode())
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
sys.stdout.write(output.decode(errors="replace").replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(status))
