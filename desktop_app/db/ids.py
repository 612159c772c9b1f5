"""Identifiers minted on the device.

Synced rows get time-ordered UUIDv7 keys: two laptops never mint the same id, and
B-tree indexes stay append-mostly. Content rows (topics, concepts, questions) get
UUIDv5 keys derived from the bank file, so the same bank imported on two laptops and on
the server yields the same ids and an attempt means the same question everywhere.
"""
from __future__ import annotations

import os
import threading
import time
import uuid

# Fixed namespace for content ids; changing it would orphan every attempt ever made.
CONTENT_NAMESPACE = uuid.UUID("6f1c2a7e-3b1d-4c55-9a8e-0d3f5e2b7a10")


_last = (0, 0)  # (millis, 74 random bits) of the previous id in this process
_lock = threading.Lock()


def new_id() -> str:
    """A time-ordered UUIDv7 (RFC 9562) as a string, strictly increasing within a process.

    Within one millisecond the random part counts up (RFC 9562, method 2), so rows made in
    order sort in order: attempts replay by (timestamp, id), and two answers recorded in
    the same millisecond must replay the way they were recorded.
    """
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_rand = _last
        if millis <= last_millis:
            millis, rand = last_millis, last_rand + 1
            if rand >= 1 << 74:  # counter exhausted: borrow the next millisecond
                millis, rand = millis + 1, int.from_bytes(os.urandom(10), "big") >> 7
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> 7  # 73 bits: room to count up
        _last = (millis, rand)
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # 12 high bits of the random part
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def content_id(bank_id: str, kind: str, local_id: str) -> str:
    """The stable id of a topic/concept/question `local_id` of bank `bank_id`."""
    return str(uuid.uuid5(CONTENT_NAMESPACE, f"{bank_id}/{kind}/{local_id}"))


def singleton_id(table: str, user_id: str) -> str:
    """The id of a user's one row of `table` (profile, plan): the same on every device and
    the server, so two laptops that each create it offline create the same row."""
    return str(uuid.uuid5(CONTENT_NAMESPACE, f"{table}/{user_id}"))


DEVICE_KEY = "device_id"  # the sync_state key of this database's device id


def new_device_id() -> str:
    """A device id: names this copy of the database in clock stamps and in pulls."""
    return new_id().replace("-", "")
