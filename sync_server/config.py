"""Server settings: from command-line flags, else environment variables, else defaults.

Environment: ADAPTIVE_LEARNING_SERVER_DB_URL (required), ..._HOST, ..._PORT, ..._WORKERS,
..._TOKEN_TTL_DAYS, ..._LOAD_SAMPLE_BANK (0 to skip). A plain `postgresql://` URL is
accepted and driven by psycopg 3.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

ENV_PREFIX = "ADAPTIVE_LEARNING_SERVER_"
PROTOCOL_VERSION = 1
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_OPS_PER_PUSH = 1000
MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 500
LOGIN_MAX_FAILURES = 5
MIN_TEACHER_CODE = 12
LOGIN_WINDOW_SECONDS = 15 * 60


def normalise_db_url(url: str) -> str:
    """SQLAlchemy URL for psycopg 3 (`postgresql://` and `postgres://` would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class ServerConfig:
    db_url: str
    host: str = "127.0.0.1"
    port: int = 8765
    workers: int = 1
    token_ttl_days: int = 30
    load_sample_bank: bool = True
    pool_size: int = 10
    log_level: str = "info"
    # Registering a teacher account needs this code (teachers write the syllabus every
    # student pulls). Empty: teacher accounts cannot be registered at all.
    teacher_code: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> "ServerConfig":
        """Settings from `env` (default os.environ); `overrides` that are not None win.

        Raises ValueError naming the setting that is missing or malformed.
        """
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = overrides.get(name)
            if value is not None:
                return str(value)
            return env.get(ENV_PREFIX + name.upper())

        db_url = get("db_url")
        if not db_url:
            raise ValueError(f"no database URL: pass --db-url or set {ENV_PREFIX}DB_URL")
        values: dict[str, object] = {"db_url": normalise_db_url(db_url)}
        for name, kind in (("host", str), ("port", int), ("workers", int), ("token_ttl_days", int),
                           ("pool_size", int), ("log_level", str), ("teacher_code", str)):
            raw = get(name)
            if raw is not None:
                try:
                    values[name] = kind(raw)
                except ValueError:
                    raise ValueError(f"{ENV_PREFIX}{name.upper()}: not a valid {kind.__name__}: {raw!r}") from None
        code = values.get("teacher_code")
        if code and len(str(code)) < MIN_TEACHER_CODE:
            raise ValueError(f"{ENV_PREFIX}TEACHER_CODE: at least {MIN_TEACHER_CODE} characters, so it cannot be guessed")
        raw = get("load_sample_bank")
        if raw is not None:
            values["load_sample_bank"] = raw.strip().lower() not in ("0", "false", "no", "off")
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The environment that makes `from_env` rebuild this config (for uvicorn workers)."""
        return {ENV_PREFIX + k.upper(): str(int(v) if isinstance(v, bool) else v) for k, v in self.__dict__.items()}
