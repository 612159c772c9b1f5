"""Pulled rows are stored exactly as SQLAlchemy would store them."""
from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from sync_client.apply import _encode_stamps

fields = st.lists(st.text(min_size=1, max_size=12), min_size=0, max_size=10, unique=True)


@given(names=fields, stamp=st.text(max_size=40), others=st.lists(st.text(max_size=40), max_size=10))
def test_field_stamps_are_encoded_as_the_json_column_encodes_them(names: list[str], stamp: str,
                                                                   others: list[str]) -> None:
    uniform = dict.fromkeys(names, stamp)
    assert _encode_stamps(uniform) == json.dumps(uniform)
    mixed = {name: (others[i] if i < len(others) else stamp) for i, name in enumerate(names)}
    assert _encode_stamps(mixed) == json.dumps(mixed)
