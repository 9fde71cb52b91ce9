"""Start the web server and the django-q2 cluster together; Ctrl-C stops both.

django-q2's qcluster can hang on SIGTERM (django-q2 issue #346), so each child gets a
bounded wait after the signal and is then killed with its whole process group.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandParser

STOP_WAIT_SECONDS = 10


class Command(BaseCommand):
    help = "Run the web server and the django-q2 cluster together (used by `make run`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args: object, addr: str, **options: object) -> None:
        manage = [sys.executable, os.path.abspath(sys.argv[0])]
        children = {
            "web": subprocess.Popen([*manage, "runserver", addr, "--noreload"], start_new_session=True),
            "cluster": subprocess.Popen([*manage, "qcluster"], start_new_session=True),
        }
        stopping = False

        def request_stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        self.stdout.write(
            f"Serving http://{addr}/ (pid {children['web'].pid}) with the django-q2 cluster "
            f"beside it (pid {children['cluster'].pid}). Ctrl-C stops both.",
        )
        self.stdout.flush()
        try:
            while not stopping and all(p.poll() is None for p in children.values()):
                time.sleep(0.2)
        finally:
            for name, proc in children.items():
                if proc.poll() is not None:
                    self.stderr.write(f"The {name} process exited with code {proc.returncode}.")
            self._stop(children)

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        # SIGTERM to each child's main process only: qcluster stops its own workers in
        # order, and signalling them all at once leaves it waiting on the dead. The whole
        # group is killed only when the bounded wait runs out.
        for proc in children.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for name, proc in children.items():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"The {name} process did not stop in {STOP_WAIT_SECONDS}s; killing it.")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.stdout.write("Stopped.")
