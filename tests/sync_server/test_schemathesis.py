"""Property-based run of the published OpenAPI document against the live server (schemathesis).

Every operation gets a few generated requests, valid and invalid, as a signed-in student:
no 5xx, every status documented, every body matching its schema. Bounded: a handful of
examples per operation, no shrinking beyond hypothesis' defaults, well under a minute.
"""
from __future__ import annotations

from collections.abc import Callable

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from sync_server.app import create_app
from sync_server.config import ServerConfig
from tests.sync_server.conftest import Server, User


def _published_document() -> dict:
    """The document the server publishes at /openapi.json (built by the same code; no database
    is touched to build it). schemathesis' lazy fixture loader does not run on pytest 9."""
    app = create_app(ServerConfig(db_url="postgresql+psycopg://unused@127.0.0.1/unused"))
    return app.openapi()


schema = schemathesis.openapi.from_dict(_published_document())


def test_the_checked_document_is_the_served_one(server: Server) -> None:
    assert requests.get(f"{server.url}/openapi.json", timeout=5).json() == _published_document()


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_published_contract(case, server: Server,  # type: ignore[no-untyped-def]
                                              provision: Callable[..., User]) -> None:
    user = provision()
    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {user.token}"},
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])
