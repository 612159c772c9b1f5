"""The server's worker processes (sync_server/workers.py), started for real: `python -m sync_server
--workers 4` on a loopback port, with connections held open as devices hold them."""
from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from sync_server.workers import balanced_workers_supported
from tests.conftest import wait_for
from tests.sync_server.conftest import Server, child_pids, start_server, stop_server

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not balanced_workers_supported(), reason="a socket per worker needs Linux")]


def _children(pid: int) -> list[int]:
    """The worker processes: the server's children, but multiprocessing's resource tracker."""
    def tracker(child: int) -> bool:
        try:
            return b"resource_tracker" in Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            return True  # gone already
    return [child for child in child_pids(pid) if not tracker(child)]


def _sockets_on_port(server: Server, state: str) -> set[str]:
    """Inodes of the server-side TCP sockets on the server's port in `state` (/proc/net/tcp:
    01 ESTABLISHED, 0A LISTEN)."""
    port = int(server.url.rsplit(":", 1)[1])
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def _established_per_worker(server: Server) -> dict[int, int]:
    """{worker pid: client connections it holds}, from /proc/net/tcp and each worker's sockets."""
    inodes = _sockets_on_port(server, "01")
    held = {}
    for pid in _children(server.process.pid):
        sockets = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                sockets.add(target[8:-1])
        held[pid] = len(sockets & inodes)
    return held


def _keep_alive_health(server: Server) -> socket.socket:
    port = int(server.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    return sock


def test_connections_opened_one_after_another_spread_over_every_worker(pg_url: str) -> None:
    """Devices connect one at a time and keep their connection. With one shared listening socket
    the worker that happened to be awake took most of them (76 of 100 under the bench)."""
    server = start_server(pg_url, workers=4, extra=["--pool-size", "1"])
    connections = []
    try:  # start_server returns when one worker answers; the others may still be starting
        wait_for(lambda: len(_sockets_on_port(server, "0A")) == 4)
        connections = [_keep_alive_health(server) for _ in range(48)]
        held = _established_per_worker(server)
        busy = {pid: n for pid, n in held.items() if n}
        assert len(busy) == 4, held
        assert sum(busy.values()) == 48 and max(busy.values()) <= 24, held  # an even share is 12
    finally:
        for sock in connections:
            sock.close()
        stop_server(server)


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # exited, not reaped
    except OSError:
        return True


def test_a_worker_that_dies_is_replaced_and_the_server_keeps_answering(pg_url: str) -> None:
    server = start_server(pg_url, workers=2, extra=["--pool-size", "1"])
    try:
        wait_for(lambda: len(_sockets_on_port(server, "0A")) == 2)
        first = set(_children(server.process.pid))
        victim = max(first)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: _gone(victim))
        # For ~10 ms after a listener closes, Linux may still hand a new connection to it, which
        # is then reset (seen here); clients retry a reset (sync_client, the bench). Past that:
        time.sleep(0.2)
        for _ in range(10):  # the other worker answers meanwhile
            _keep_alive_health(server).close()
        wait_for(lambda: len(_sockets_on_port(server, "0A")) == 2)  # a new worker listens
        now = set(_children(server.process.pid))
        assert victim not in now and len(now) == 2 and first - {victim} < now
        for _ in range(20):
            _keep_alive_health(server).close()
    finally:
        stop_server(server)


def test_stopping_the_server_stops_every_worker(pg_url: str) -> None:
    server = start_server(pg_url, workers=3, extra=["--pool-size", "1"])
    workers = _children(server.process.pid)
    assert len(workers) >= 3
    stop_server(server)
    assert server.process.returncode == 0
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 15)
