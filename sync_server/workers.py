"""Several uvicorn worker processes, each accepting on a listening socket of its own.

Why not uvicorn's own --workers: its workers share one listening socket, and whichever is
awake first accepts. Devices keep their connection open between requests (keep-alive), so
the split is fixed when they connect, and it came out lopsided: under bench/server_load.py
one worker of four held ~76 of the 100 connections (counted in /proc), and that worker,
whose Python runs under one GIL, set the tail while the others idled. Here every worker
binds the same port with SO_REUSEPORT, and Linux hands each new connection to one of the
listening sockets by a hash of its addresses: an even split, whatever the timing.

Elsewhere than on Linux SO_REUSEPORT does not balance (macOS gives every connection to one
socket), so `balanced_workers_supported()` is False there and the caller uses uvicorn's.

The supervisor is deliberately small: it starts the workers, starts a new one when one
dies (a worker that fails before it serves stops everything: it would fail again), and
on SIGINT or SIGTERM asks every worker to finish its requests and stop.
"""
from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger(__name__)
STOP_TIMEOUT = 30  # seconds a worker has to finish its requests before it is killed


def balanced_workers_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) that other such sockets may share. It receives
    connections only once it listens (asyncio's create_server does that)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker(options: dict[str, Any]) -> None:
    """One worker process: its own socket on the shared port, then uvicorn until stopped."""
    config = uvicorn.Config(**options)
    try:
        sock = reuse_port_socket(config.host, config.port)
    except OSError as exc:
        logging.getLogger("uvicorn.error").error("cannot listen on %s:%s: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


def serve(options: dict[str, Any], workers: int) -> int:
    """Run `workers` uvicorn workers of uvicorn.Config(**options) (host and port included)
    until SIGINT or SIGTERM; returns the exit status (non-zero if a worker could not start)."""
    # Bound here first, and held (never listening, so no connection reaches it): a port
    # taken by another program fails now, with its reason, and port 0 picks one port for all.
    held = reuse_port_socket(options["host"], options["port"])
    options = {**options, "port": held.getsockname()[1]}
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def start() -> multiprocessing.process.BaseProcess:
        process = spawn.Process(target=_worker, args=(options,), daemon=False)
        process.start()
        return process

    log.info("serving on http://%s:%s with %d workers (one listening socket each)",
             options["host"], options["port"], workers)
    processes = [start() for _ in range(workers)]
    status = 0
    try:
        while not stop.wait(0.5):
            for i, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("worker %s could not start: stopping", process.pid)
                    status = 1
                    stop.set()
                    break
                log.warning("worker %s exited with %s: starting another", process.pid, process.exitcode)
                processes[i] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests it has, then exits
        for process in processes:
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
        held.close()
    return status
