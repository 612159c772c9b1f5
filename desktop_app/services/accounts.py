"""Local accounts on one laptop: create, sign in, and "keep me signed in".

Several people may share a laptop; every other service takes `student_id`, so their data
stays apart. Passwords are stored only as argon2id hashes (services/passwords.py).

"Keep me signed in" never stores a password: the app mints a random secret, keeps it in
the OS keyring (credentials.SecretStore), and the database keeps only its SHA-256 hash in
the `sync_state` key/value table. A copied database file therefore signs nobody in, and
forgetting the account on this device is deleting one row.

Error codes (AccountError.code) rather than sentences: the UI owns the wording, so it can
translate it. Services take `session=` and never commit (the caller owns the transaction).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.db.models import SyncState, User
from desktop_app.services.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password

LAST_ACCOUNT_KEY = "local.last_account"
_REMEMBER_PREFIX = "local.remember."
USERNAME_MAX = 64
SIGNUP_ROLES = ("student", "teacher")


class AccountError(ValueError):
    """`field` is "username" or "password"; `code` is one of:

    username_empty, username_too_long, username_taken, password_too_short,
    role_invalid, unknown_account, wrong_password.
    """

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    display_name: str
    role: str


def _view(user: User) -> Account:
    return Account(id=user.id, username=user.username, display_name=user.display_name or user.username,
                   role=user.role)


def normalise_username(raw: str) -> str:
    return " ".join(raw.split())


def create_account(session: Session, *, username: str, password: str, role: str = "student",
                   display_name: str | None = None) -> Account:
    """Add a local account; raises AccountError. The new account becomes the last one used."""
    name = normalise_username(username)
    if not name:
        raise AccountError("username", "username_empty")
    if len(name) > USERNAME_MAX:
        raise AccountError("username", "username_too_long")
    if role not in SIGNUP_ROLES:
        raise AccountError("role", "role_invalid")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", "password_too_short")
    taken = session.scalar(select(User.id).where(func.lower(User.username) == name.lower()))
    if taken is not None:
        raise AccountError("username", "username_taken")
    user = User(username=name, password_hash=hash_password(password), role=role,
                display_name=(display_name or "").strip() or None)
    session.add(user)
    session.flush()
    set_last_account(session, user_id=user.id)
    return _view(user)


def list_accounts(session: Session) -> list[Account]:
    users = session.scalars(select(User).order_by(func.lower(User.username)))
    return [_view(u) for u in users]


def get_account(session: Session, *, user_id: str) -> Account | None:
    user = session.get(User, user_id)
    return _view(user) if user else None


def sign_in(session: Session, *, username: str, password: str) -> Account:
    """Check a password; raises AccountError(unknown_account | wrong_password)."""
    user = session.scalar(select(User).where(func.lower(User.username) == normalise_username(username).lower()))
    if user is None:
        raise AccountError("username", "unknown_account")
    if not verify_password(user.password_hash, password):
        raise AccountError("password", "wrong_password")
    set_last_account(session, user_id=user.id)
    return _view(user)


def last_account(session: Session) -> Account | None:
    row = session.get(SyncState, LAST_ACCOUNT_KEY)
    return get_account(session, user_id=row.value) if row else None


def set_last_account(session: Session, *, user_id: str) -> None:
    session.merge(SyncState(key=LAST_ACCOUNT_KEY, value=user_id))


# --- keep me signed in -------------------------------------------------------------------

def new_remember_secret() -> str:
    """256 random bits; the caller puts it in the SecretStore, never in the database."""
    return secrets.token_urlsafe(32)


def _digest(secret: str) -> str:
    # A plain hash suffices: the secret is random and long, so it cannot be guessed offline.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def remember_secret_name(*, device_id: str, user_id: str) -> str:
    """The SecretStore entry for an account on this database (two data folders never collide)."""
    return f"remember/{device_id}/{user_id}"


def remember(session: Session, *, user_id: str, secret: str) -> None:
    session.merge(SyncState(key=_REMEMBER_PREFIX + user_id, value=_digest(secret)))


def forget(session: Session, *, user_id: str) -> None:
    row = session.get(SyncState, _REMEMBER_PREFIX + user_id)
    if row is not None:
        session.delete(row)


def is_remembered(session: Session, *, user_id: str) -> bool:
    return session.get(SyncState, _REMEMBER_PREFIX + user_id) is not None


def resume(session: Session, *, user_id: str, secret: str | None) -> Account | None:
    """The account if `secret` matches the hash kept for it, else None."""
    row = session.get(SyncState, _REMEMBER_PREFIX + user_id)
    if row is None or not secret or not hmac.compare_digest(row.value, _digest(secret)):
        return None
    return get_account(session, user_id=user_id)
