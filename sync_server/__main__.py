"""`python -m sync_server` / `adaptive-learning-server`: migrate, load the sample bank, serve.

    adaptive-learning-server --db-url postgresql://user@host/db [--host 127.0.0.1] [--port 8765]
                             [--workers 2] [--no-sample-bank]

Every flag falls back to its ADAPTIVE_LEARNING_SERVER_* environment variable (config.py).
The teacher code (ADAPTIVE_LEARNING_SERVER_TEACHER_CODE) is a secret and has no flag: a
command line is visible to every user of the machine.
The database is upgraded and the bank loaded once, in this process, before the workers
start, so workers never race on migrations.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

import uvicorn

from sync_server import http_protocol, workers
from sync_server.bank import load_bank
from sync_server.config import ServerConfig
from sync_server.db import Database
from sync_server.housekeeping import SEEN_OPS_KEPT, prune_seen_ops

log = logging.getLogger("sync_server")
KEEP_ALIVE_SECONDS = 65


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="adaptive-learning-server", description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", help="PostgreSQL URL (env ADAPTIVE_LEARNING_SERVER_DB_URL)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8765)")
    parser.add_argument("--workers", type=int, help="worker processes (default 1)")
    parser.add_argument("--token-ttl-days", type=int, help="bearer token lifetime (default 30)")
    parser.add_argument("--pool-size", type=int, help="database connections per worker (default 10)")
    parser.add_argument("--no-sample-bank", action="store_true", help="do not load the shipped sample bank")
    parser.add_argument("--log-level", help="uvicorn log level (default info)")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    return ServerConfig.from_env(
        db_url=args.db_url, host=args.host, port=args.port, workers=args.workers,
        token_ttl_days=args.token_ttl_days, pool_size=args.pool_size, log_level=args.log_level,
        load_sample_bank="0" if args.no_sample_bank else None)


def prepare(config: ServerConfig) -> None:
    """Migrate the database to head, load the sample bank and prune old op ids (idempotent)."""
    db = Database(config.db_url, pool_size=1)
    try:
        db.upgrade()
        if config.load_sample_bank:
            report = load_bank(db)
            log.info("sample bank: %s", report.summary() if report else "already loaded")
        pruned = prune_seen_ops(db)
        if pruned:
            log.info("forgot %d op ids older than %d days", pruned, SEEN_OPS_KEPT.days)
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(parse_args(argv))
    except ValueError as exc:
        print(f"adaptive-learning-server: {exc}", file=sys.stderr)
        return 2
    prepare(config)
    os.environ.update(config.to_env())  # the workers rebuild the config from here
    # Devices sync every few minutes and between rounds keep their connection: a keep-alive
    # longer than uvicorn's 5 s default spares reconnects (clients still retry a reset).
    options = {"app": "sync_server.app:app_from_env", "factory": True, "host": config.host, "port": config.port,
               "log_level": config.log_level, "access_log": False, "timeout_keep_alive": KEEP_ALIVE_SECONDS,
               "http": http_protocol.IMPORT_PATH}
    if config.workers > 1 and workers.balanced_workers_supported():
        return workers.serve(options, config.workers)  # a listening socket per worker (workers.py)
    uvicorn.run(**options, workers=config.workers if config.workers > 1 else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
