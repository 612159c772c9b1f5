"""Signing a local database in to a sync server: register, login, logout.

Blocking calls (network and password hashing): run them on a worker thread or the CLI,
never on the GUI thread. Each opens its own short transactions on `db`. The token goes to
the keyring (`TokenStore`), never to SQLite; the server URL, username, server user id and
role go to `sync_state`. Raises the `sync_client.errors` exceptions, and `AccountMismatch`
when this database already belongs to another server account.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import SyncOperation, User
from desktop_app.services.passwords import hash_password
from sync_client import reown, state
from sync_client.errors import SyncError
from sync_client.state import TokenStore
from sync_client.transport import Account, Transport


class AccountMismatch(SyncError):
    """This local database is already linked to a different server account."""


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    username: str
    role: str
    reowned_from: str | None  # the offline local account whose history moves to this one
    fallback_secret_file: bool  # no OS keyring: the token sits in an owner-only file


def register(db: LocalDatabase, transport: Transport, tokens: TokenStore, *, server_url: str, username: str,
             password: str, role: str = "student", teacher_code: str | None = None) -> SignedIn:
    """Create the server account, then log in. A local account of the same name lends its id,
    so its offline history simply becomes the server account's."""
    with db.transaction() as session:
        local = session.scalar(select(User).where(User.username == username))
        local_id = local.id if local is not None and not _synced_before(session) else None
    account: Account = transport.register(username=username, password=password, role=role, user_id=local_id,
                                          teacher_code=teacher_code)
    return login(db, transport, tokens, server_url=server_url, username=account.username, password=password)


def login(db: LocalDatabase, transport: Transport, tokens: TokenStore, *, server_url: str, username: str,
          password: str) -> SignedIn:
    """Get a token, store it, and link this database to the account (see reown.py)."""
    with db.transaction() as session:
        linked = state.get(session, state.USER_ID)
        linked_name = state.get(session, state.USERNAME)
    granted = transport.login(username=username, password=password, device_id=db.device_id)
    if linked and linked != granted.user_id:
        raise AccountMismatch(f"this data folder belongs to the account {linked_name!r}; "
                              "use another data folder for another account")
    password_hash = hash_password(password)  # local sign-in offline with the same password
    reowned_from = None
    with db.transaction() as session:
        user = session.get(User, granted.user_id)
        if user is None:
            other = session.scalar(select(User).where(User.username == username))
            if other is not None and not _synced_before(session):
                reown.prepare(session, old_user=other, new_id=granted.user_id, role=granted.role,
                              password_hash=password_hash)
                reowned_from = other.id
            else:
                if other is not None:  # a stale local name clash on a synced database
                    other.username = f"~{other.id}"
                    session.flush()
                session.add(User(id=granted.user_id, username=username, password_hash=password_hash,
                                 role=granted.role))
        else:
            user.username, user.role, user.password_hash = username, granted.role, password_hash
        state.put(session, state.SERVER_URL, server_url)
        state.put(session, state.USERNAME, username)
        state.put(session, state.USER_ID, granted.user_id)
        state.put(session, state.ROLE, granted.role)
    tokens.set(granted.token)
    return SignedIn(user_id=granted.user_id, username=username, role=granted.role, reowned_from=reowned_from,
                    fallback_secret_file=tokens.fallback_in_use())


def logout(db: LocalDatabase, transport: Transport, tokens: TokenStore) -> None:
    """Revoke the token on the server if reachable, and forget it here in any case."""
    token = tokens.get()
    try:
        if token:
            transport.logout(token)
    except SyncError:
        pass  # offline: the token is forgotten locally and expires on the server
    finally:
        tokens.delete()


def linked_account(db: LocalDatabase) -> tuple[str | None, str | None, str | None]:
    """(server url, username, server user id) this database is linked to, if any."""
    with db.transaction() as session:
        return (state.get(session, state.SERVER_URL), state.get(session, state.USERNAME),
                state.get(session, state.USER_ID))


def _synced_before(session) -> bool:  # type: ignore[no-untyped-def]
    """True once anything of this database reached a server (then ids must not move)."""
    if state.get(session, state.USER_ID):
        return True
    return session.scalar(select(SyncOperation.id).where(SyncOperation.status == "synced").limit(1)) is not None
