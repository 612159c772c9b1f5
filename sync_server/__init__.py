"""Sync server: FastAPI on PostgreSQL (auth, push, pull, classes). Protocol: docs/sync-protocol.md."""
