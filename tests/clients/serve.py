#!/usr/bin/env python3
"""Runs a client test against a real `gridmap serve --open` process.

    serve.py make-db GRIDMAP DB
        Imports the demo district (data/demo) into DB with `gridmap import`, built under another
        name and renamed at the end, as scripts/run does. CTest runs it once as the fixture of
        the clients label.

    serve.py run GRIDMAP DB -- COMMAND [ARG ...]
        Copies DB into a fresh temporary folder, serves the copy on an ephemeral loopback port
        with no tokens (open, as scripts/run serves the demo) and the access log on, runs COMMAND
        with GRIDMAP_URL (http://127.0.0.1:PORT), GRIDMAP_ACCESS_LOG (the server's stderr so far),
        GRIDMAP_DB (the copy) and GRIDMAP_SOURCE_DIR set, then stops the server. Exits with the
        command's status; a server that dies during the test, or does not stop cleanly on
        SIGTERM, fails the run too.

Python standard library only, so the QGIS script (run by the system python3) can share the
helpers below.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[2]
DEMO_LAYERS = ("grid_cells", "buildings", "stations", "roads")


def get_json(url, timeout=30):
    """GETs url and parses the JSON answer (raises on any status but 200)."""
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return json.load(answer)


def make_db(gridmap, db):
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    partial = db.with_name(db.name + ".partial")
    for leftover in (partial, Path(str(partial) + "-wal"), Path(str(partial) + "-shm")):
        leftover.unlink(missing_ok=True)
    commands = [[gridmap, "import", str(SOURCE_DIR / "data/demo" / f"{layer}.geojson"), "--layer", layer,
                 "--db", str(partial)] for layer in DEMO_LAYERS]
    commands.append([gridmap, "check", "--db", str(partial)])
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    os.replace(partial, db)
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    print(f"demo district imported into {db}")


class Server:
    """`gridmap serve` on a copy of `db` in `folder`, on a free loopback port."""

    def __init__(self, gridmap, db, folder):
        self.folder = Path(folder)
        self.db = self.folder / "demo.sqlite"
        for suffix in ("", "-wal"):
            if Path(str(db) + suffix).exists():
                shutil.copyfile(str(db) + suffix, str(self.db) + suffix)
        config = self.folder / "gridmap.json"
        config.write_text(json.dumps({"port": 0, "open": True, "access_log": True}))
        self.log_path = self.folder / "server.log"
        self._log = open(self.log_path, "wb")
        # Started from / with no style setting: the server finds the checkout's style beside
        # its program, as it does for a user.
        self.process = subprocess.Popen([gridmap, "serve", "--db", str(self.db), "--config", str(config)],
                                        cwd="/", stdout=subprocess.PIPE, stderr=self._log)
        # "Gridmap serves … on http://127.0.0.1:PORT/ …" is the first line on stdout.
        first = self.process.stdout.readline().decode("utf-8", "replace")
        marker = "http://127.0.0.1:"
        if marker not in first:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"gridmap serve did not start: {first!r}\n{self.log()}")
        self.port = int(first.split(marker, 1)[1].split("/", 1)[0])
        # Whatever else it prints is read, so that a full pipe never blocks it.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                get_json(self.url + "/health", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.1)

    def log(self):
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text("utf-8", "replace")

    def stop(self):
        """SIGTERM; returns the exit status (−signal when a signal ended it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return -signal.SIGKILL
        self._log.close()
        return self.process.returncode


def run(gridmap, db, command):
    with tempfile.TemporaryDirectory(prefix="gridmap-clients-") as folder:
        server = Server(gridmap, db, folder)
        env = dict(os.environ,
                   GRIDMAP_URL=server.url,
                   GRIDMAP_ACCESS_LOG=str(server.log_path),
                   GRIDMAP_DB=str(server.db),
                   GRIDMAP_SOURCE_DIR=str(SOURCE_DIR))
        print(f"gridmap serve --open on {server.url} (database copy {server.db})", flush=True)
        try:
            status = subprocess.run(command, env=env).returncode
        finally:
            alive = server.process.poll() is None
            exit_status = server.stop()
        failed = status != 0 or not alive or exit_status != 0
        if not alive:
            print(f"FAIL: the server died during the test (status {exit_status})")
        elif exit_status != 0:
            print(f"FAIL: the server's exit status on SIGTERM was {exit_status}")
        if failed:
            log = server.log()
            print("--- server log (last 60 lines) ---")
            print("\n".join(log.splitlines()[-60:]))
        return 1 if failed else 0


def main(argv):
    if len(argv) == 3 and argv[0] == "make-db":
        make_db(os.path.abspath(argv[1]), os.path.abspath(argv[2]))
        return 0
    if len(argv) >= 5 and argv[0] == "run" and argv[3] == "--":
        return run(os.path.abspath(argv[1]), os.path.abspath(argv[2]), argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
