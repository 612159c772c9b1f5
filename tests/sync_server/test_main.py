"""Starting the server: settings from flags and environment, refusing to start without a
database, and its database connections open before the first request."""
from __future__ import annotations

import subprocess
import sys

import pytest

from sync_server.__main__ import config_from_args, parse_args
from sync_server.config import ServerConfig, normalise_db_url
from tests.sync_server.conftest import ROOT, start_server, stop_server


def test_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADAPTIVE_LEARNING_SERVER_DB_URL", "postgresql://env@db/app")
    monkeypatch.setenv("ADAPTIVE_LEARNING_SERVER_PORT", "9000")
    monkeypatch.setenv("ADAPTIVE_LEARNING_SERVER_WORKERS", "3")
    config = config_from_args(parse_args(["--port", "9100", "--no-sample-bank"]))
    assert config.db_url == "postgresql+psycopg://env@db/app"
    assert (config.port, config.workers, config.host, config.load_sample_bank) == (9100, 3, "127.0.0.1", False)
    assert ServerConfig.from_env(config.to_env()) == config


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="DB_URL"):
        ServerConfig.from_env({})
    with pytest.raises(ValueError, match="PORT"):
        ServerConfig.from_env({"ADAPTIVE_LEARNING_SERVER_DB_URL": "postgresql://x",
                               "ADAPTIVE_LEARNING_SERVER_PORT": "80a"})
    assert normalise_db_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalise_db_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


def test_the_server_refuses_to_start_without_a_database() -> None:
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "sync_server"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "ADAPTIVE_LEARNING_SERVER_DB_URL" in result.stderr


@pytest.mark.postgres
def test_a_started_worker_has_its_database_connections_open_already(pg_url: str) -> None:
    """The first requests after a start should not each wait for a new PostgreSQL backend."""
    server = start_server(pg_url, workers=1, extra=["--pool-size", "3"])  # returns once /health answers
    try:
        opened = server.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid()")
        assert opened == [(3,)]
    finally:
        stop_server(server)
