"""The real sync server in this process: uvicorn on a free loopback port, on a PostgreSQL db.

`LiveServer.stop()` / `start()` take it down and bring it back on the same port (the
"server is down for a while" tests). uvicorn runs on a daemon thread; the app is built by
the server's own factory (`sync_server.app.create_app`) after `prepare` (migrate + bank).
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Any

import psycopg
import requests
import uvicorn
from sqlalchemy.engine import make_url

from sync_server.__main__ import prepare
from sync_server.app import create_app
from sync_client.errors import ServerUnreachable
from sync_client.transport import HttpTransport, PushResult
from sync_server.config import ServerConfig
from tests.sync_server.conftest import TEACHER_CODE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, db_url: str) -> None:
        self.config = ServerConfig.from_env({}, db_url=db_url, port=free_port(), log_level="warning",
                                            teacher_code=TEACHER_CODE)
        prepare(self.config)
        self.url = f"http://127.0.0.1:{self.config.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "LiveServer":
        app = create_app(self.config)
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.config.port,
                                                     log_level="warning", access_log=False, lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the sync server did not start within 30 s")

    def sql(self, statement: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """The rows `statement` reads from the server's database (what the server holds)."""
        dsn = make_url(self.config.db_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            return conn.execute(statement, params).fetchall()

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            self._server = self._thread = None


_lost = threading.Lock()


class FaultyHttp(HttpTransport):
    """Real HTTP with the faults the tests inject: `lose_push_replies` pushes reach the server,
    then the connection 'drops' before the reply; while `down`, nothing gets through."""

    lose_push_replies = 0
    down = False

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        if self.down:
            raise ServerUnreachable("cannot reach the server: ConnectionError")
        return super()._call(*args, **kwargs)

    def push(self, token: str, *, device_id: str, ops: list[dict[str, Any]]) -> PushResult:
        result = super().push(token, device_id=device_id, ops=ops)
        with _lost:  # two batches may be in flight at once (engine.push)
            if self.lose_push_replies:
                self.lose_push_replies -= 1
                raise ServerUnreachable("connection reset after the request was sent")
        return result
