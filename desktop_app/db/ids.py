"""Identifiers minted on the device.

Synced rows get time-ordered UUIDv7 keys: two laptops never mint the same id, and
B-tree indexes stay append-mostly. Content rows (topics, concepts, questions) get
UUIDv5 keys derived from the bank file, so the same bank imported on two laptops and on
the server yields the same ids and an attempt means the same question everywhere.
"""
from __future__ import annotations

import os
import time
import uuid

# Fixed namespace for content ids; changing it would orphan every attempt ever made.
CONTENT_NAMESPACE = uuid.UUID("6f1c2a7e-3b1d-4c55-9a8e-0d3f5e2b7a10")


def new_id() -> str:
    """A random, time-ordered UUIDv7 (RFC 9562) as a string."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # 12 random bits
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
