"""A throwaway PostgreSQL server for the tests: initdb into a temporary folder, start, stop, remove.

Uses the server binaries of Debian's `postgresql` package (`/usr/lib/postgresql/N/bin`)
or those on PATH. As root, the server runs as the `postgres` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def find_bindir() -> Path | None:
    """The folder with `initdb` and `pg_ctl`: on PATH, else the newest Debian version; None if absent."""
    on_path = shutil.which("pg_ctl")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)]
    )
    for folder in candidates + versions[::-1]:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """`start()` returns a SQLAlchemy URL (trust authentication, loopback only); `stop()` removes everything."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.folder: Path | None = None

    def _run(self, *args: str) -> None:
        user = "postgres" if os.geteuid() == 0 else None
        subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            text=True,
            user=user,
            cwd=self.folder,
        )

    def start(self) -> str:
        self.folder = Path(tempfile.mkdtemp(prefix="matcher-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        data, port = self.folder / "data", free_port()
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def stop(self) -> None:
        if self.folder is None:
            return
        try:
            if (self.folder / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
