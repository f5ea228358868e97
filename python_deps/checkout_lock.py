"""Run a command while holding a checkout's lock; refuse at once, naming the holder, if another
command holds it. The Makefile runs every make under it: two makes in one checkout would write
the same root filesystems, images and reports over each other.

The lock is a flock(2) on LOCK_FILE, held by this process alone: its descriptor is not
inherited, so a daemon the command starts (dockerd, a registry) does not keep the checkout
locked after the command ends. The file names the holder for the refusal.

    python-deps checkout-lock LOCK_FILE COMMAND [ARGUMENT...]
    python-deps checkout-lock --busy LOCK_FILE    the refusal where another command holds it
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shlex
import signal
import subprocess
import sys
import time

from python_deps import cli


def holder(lock_file: str) -> str:
    try:
        with open(lock_file) as described:
            return described.read().strip() or "another command"
    except OSError:
        return "another command"


def refusal(lock_file: str) -> str:
    return (
        f"this checkout is busy: {holder(lock_file)} is running in it;"
        " wait for it to end or stop it, then run this again"
    )


def busy(lock_file: str) -> str:
    """The refusal where something holds the lock, "" where nothing does."""
    try:
        descriptor = os.open(lock_file, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return ""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return ""
    except BlockingIOError:
        return refusal(lock_file)
    finally:
        os.close(descriptor)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("checkout-lock", __doc__)
    parser.add_argument(
        "--busy", action="store_true", help="Print the refusal, if any; run nothing."
    )
    parser.add_argument("lock_file", metavar="LOCK_FILE")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")
    args = parser.parse_args(argv)
    if args.busy:
        print(busy(args.lock_file))
        return 0
    if not args.command:
        parser.error("a COMMAND to run under the lock is required")
    lock_file, command = args.lock_file, args.command
    # Readable and writable by all: a checkout's first make may run as root (sudo make bases),
    # the next one as its user.
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    if os.fstat(descriptor).st_uid == os.geteuid():
        os.fchmod(descriptor, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # taken since the Makefile asked --busy
        print(f"{os.path.basename(command[0])}: {refusal(lock_file)}", file=sys.stderr)
        return 2
    os.ftruncate(descriptor, 0)
    started = time.strftime("%H:%M:%S")
    os.write(descriptor, f"`{shlex.join(command)}` (pid {os.getpid()}, since {started})\n".encode())

    child = subprocess.Popen(command)
    # Ctrl-C reaches make through the terminal's process group: wait for it to stop its jobs.
    # A signal sent to this process alone goes on to make.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda number, _: child.send_signal(number))
    signal.signal(signal.SIGHUP, lambda number, _: child.send_signal(number))
    returncode = child.wait()
    os.ftruncate(descriptor, 0)
    return returncode if returncode >= 0 else 128 - returncode
