"""Worker-side steps of signing in (run through TaskRunner, never on the GUI thread).

They combine the accounts service with the SecretStore, whose keyring call can block
(D-Bus on Linux), which is why they run on the worker too.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from desktop_app.credentials import SecretStore
from desktop_app.services import accounts
from desktop_app.services.accounts import Account
from desktop_app.services.profile import get_profile


@dataclass(frozen=True)
class StartState:
    """What to show after the database is open."""

    accounts: list[Account]
    last: Account | None
    resumed: Account | None  # signed in by "keep me signed in"
    has_profile: bool = False


@dataclass(frozen=True)
class SignedIn:
    account: Account
    has_profile: bool


def start_state(session: Session, *, store: SecretStore, device_id: str) -> StartState:
    every = accounts.list_accounts(session)
    last = accounts.last_account(session)
    resumed = None
    if last is not None and accounts.is_remembered(session, user_id=last.id):
        secret = store.get(accounts.remember_secret_name(device_id=device_id, user_id=last.id))
        resumed = accounts.resume(session, user_id=last.id, secret=secret)
    has_profile = resumed is not None and get_profile(session, student_id=resumed.id) is not None
    return StartState(accounts=every, last=last, resumed=resumed, has_profile=has_profile)


def keep_signed_in(session: Session, *, store: SecretStore, device_id: str, user_id: str, keep: bool) -> None:
    name = accounts.remember_secret_name(device_id=device_id, user_id=user_id)
    if keep:
        secret = accounts.new_remember_secret()
        store.set(name, secret)
        accounts.remember(session, user_id=user_id, secret=secret)
    else:
        accounts.forget(session, user_id=user_id)
        store.delete(name)


def create(session: Session, *, store: SecretStore, device_id: str, username: str, password: str,
           role: str, keep: bool) -> SignedIn:
    account = accounts.create_account(session, username=username, password=password, role=role)
    keep_signed_in(session, store=store, device_id=device_id, user_id=account.id, keep=keep)
    return SignedIn(account, has_profile=False)


def sign_in(session: Session, *, store: SecretStore, device_id: str, username: str, password: str,
            keep: bool) -> SignedIn:
    account = accounts.sign_in(session, username=username, password=password)
    keep_signed_in(session, store=store, device_id=device_id, user_id=account.id, keep=keep)
    return SignedIn(account, has_profile=get_profile(session, student_id=account.id) is not None)
