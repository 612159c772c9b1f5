"""Secrets of the desktop (sync token, "keep me signed in"): the OS keyring only.

Where the machine has no keyring backend (a headless Linux), secrets fall back to a file
readable by its owner only, and `fallback_in_use()` lets the app tell the user once.
Never SQLite, never QSettings.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import keyring
from keyring.backends import fail as fail_backend
from keyring.backends.chainer import ChainerBackend
from keyring.errors import KeyringError, PasswordDeleteError

SERVICE = "AdaptiveLearning"


class SecretStore:
    def __init__(self, fallback_file: Path) -> None:
        self._fallback_file = Path(fallback_file)

    def fallback_in_use(self) -> bool:
        backend = keyring.get_keyring()
        if isinstance(backend, fail_backend.Keyring):
            return True
        return isinstance(backend, ChainerBackend) and not backend.backends

    def get(self, name: str) -> str | None:
        if self.fallback_in_use():
            return self._read_file().get(name)
        try:
            return keyring.get_password(SERVICE, name)
        except KeyringError:
            return self._read_file().get(name)

    def set(self, name: str, secret: str) -> None:
        if not self.fallback_in_use():
            try:
                keyring.set_password(SERVICE, name, secret)
                return
            except KeyringError:
                pass
        data = self._read_file()
        data[name] = secret
        self._write_file(data)

    def delete(self, name: str) -> None:
        if not self.fallback_in_use():
            try:
                keyring.delete_password(SERVICE, name)
            except (PasswordDeleteError, KeyringError):
                pass
        data = self._read_file()
        if data.pop(name, None) is not None:
            self._write_file(data)

    def _read_file(self) -> dict[str, str]:
        try:
            return json.loads(self._fallback_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_file(self, data: dict[str, str]) -> None:
        self._fallback_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._fallback_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, self._fallback_file)
