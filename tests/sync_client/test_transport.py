"""HttpTransport's failures are sentences for a person, not requests' exception text."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from sync_client.errors import BadServerAddress, SyncError
from sync_client.transport import HttpTransport


@pytest.mark.parametrize("address", ["", "sync.school.org", "https://", "ftp://sync.school.org", "http://[::1"])
def test_an_address_requests_refuses_is_named_plainly(address: str) -> None:
    with pytest.raises(BadServerAddress) as raised:
        HttpTransport(address).login(username="mina", password="password-m", device_id="d")
    text = str(raised.value)
    for raw in ("/api/v1", "Invalid URL", "No scheme supplied", "Perhaps you meant", "InvalidSchema"):
        assert raw not in text
    assert "address" in text


class _Redirecting(requests.Session):
    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        raise requests.TooManyRedirects("Exceeded 30 redirects.")


def test_other_request_failures_are_not_shown_raw() -> None:
    transport = HttpTransport("https://sync.school.org", session=_Redirecting())
    with pytest.raises(SyncError) as raised:
        transport.login(username="mina", password="password-m", device_id="d")
    assert "Exceeded 30 redirects" not in str(raised.value)
    assert "https://sync.school.org" in str(raised.value)
