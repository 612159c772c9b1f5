"""Connections to the server answer without Nagle's 40 ms stall, however it was started."""
from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config
from uvicorn.server import ServerState

from sync_server.http_protocol import IMPORT_PATH


def _nodelay_of_accepted_connection(listening: socket.socket, protocol_class: type) -> int:
    """Serve on `listening` with `protocol_class`, connect once, and read the server side's
    TCP_NODELAY."""
    async def main() -> int:
        config = Config(app=lambda scope, receive, send: None, http=IMPORT_PATH, log_level="warning")
        config.load()
        state = ServerState()
        server = await asyncio.get_running_loop().create_server(
            lambda: protocol_class(config=config, server_state=state, app_state={}), sock=listening)
        _, writer = await asyncio.open_connection(*listening.getsockname())
        for _ in range(100):
            if state.connections:
                break
            await asyncio.sleep(0.01)
        (connection,) = state.connections
        value = connection.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        server.close()
        return value

    return asyncio.run(main())


def _listening_as_uvicorn_binds_for_workers() -> socket.socket:
    # uvicorn's Config.bind_socket (used with --workers > 1) names no protocol: proto 0.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_the_server_protocol_turns_nagle_off_where_uvicorn_left_it_on() -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    config = Config(app=lambda scope, receive, send: None, http=IMPORT_PATH)
    config.load()
    ours = config.http_protocol_class  # the class `adaptive-learning-server` hands uvicorn
    assert _nodelay_of_accepted_connection(_listening_as_uvicorn_binds_for_workers(), HttpToolsProtocol) == 0
    assert _nodelay_of_accepted_connection(_listening_as_uvicorn_binds_for_workers(), ours) != 0
