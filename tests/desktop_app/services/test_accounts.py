"""Local accounts: hashing, sign-in, several accounts apart, keep-me-signed-in secrets."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop_app.db.database import LocalDatabase
from desktop_app.db.models import SyncState, User
from desktop_app.services import accounts
from desktop_app.services.accounts import AccountError


def test_create_account_stores_only_an_argon2id_hash(local_db: LocalDatabase) -> None:
    with local_db.transaction() as s:
        acc = accounts.create_account(s, username="  Asha   Patel ", password="correct horse", role="student")
    assert acc.username == "Asha Patel" and acc.role == "student"
    with local_db.transaction() as s:
        user = s.get(User, acc.id)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert "correct horse" not in user.password_hash
        assert accounts.last_account(s) == acc


@pytest.mark.parametrize(("username", "password", "field", "code"), [
    ("", "longenough", "username", "username_empty"),
    ("x" * 65, "longenough", "username", "username_too_long"),
    ("sam", "short", "password", "password_too_short"),
])
def test_create_account_refuses_bad_input(local_db: LocalDatabase, username: str, password: str,
                                          field: str, code: str) -> None:
    with pytest.raises(AccountError) as err, local_db.transaction() as s:
        accounts.create_account(s, username=username, password=password)
    assert (err.value.field, err.value.code) == (field, code)


def test_usernames_are_unique_ignoring_case(local_db: LocalDatabase) -> None:
    with local_db.transaction() as s:
        accounts.create_account(s, username="Sam", password="password1")
    with pytest.raises(AccountError) as err, local_db.transaction() as s:
        accounts.create_account(s, username="sam", password="password2")
    assert err.value.code == "username_taken"


def test_sign_in_checks_the_password_and_remembers_the_last_account(local_db: LocalDatabase) -> None:
    with local_db.transaction() as s:
        a = accounts.create_account(s, username="a", password="password-a")
        b = accounts.create_account(s, username="b", password="password-b")
        assert accounts.last_account(s) == b
    with local_db.transaction() as s:
        with pytest.raises(AccountError) as wrong:
            accounts.sign_in(s, username="a", password="password-b")
        assert wrong.value.code == "wrong_password"
        with pytest.raises(AccountError) as unknown:
            accounts.sign_in(s, username="nobody", password="x")
        assert unknown.value.code == "unknown_account"
        assert accounts.sign_in(s, username="A", password="password-a") == a
    with local_db.transaction() as s:
        assert accounts.last_account(s) == a
        assert [x.username for x in accounts.list_accounts(s)] == ["a", "b"]


def test_remember_keeps_only_a_hash_and_resumes_with_the_secret(local_db: LocalDatabase) -> None:
    secret = accounts.new_remember_secret()
    with local_db.transaction() as s:
        acc = accounts.create_account(s, username="kim", password="password-k")
        accounts.remember(s, user_id=acc.id, secret=secret)
    with local_db.transaction() as s:
        values = [r.value for r in s.scalars(select(SyncState))]
        assert secret not in values
        assert accounts.resume(s, user_id=acc.id, secret=secret) == acc
        assert accounts.resume(s, user_id=acc.id, secret="guess") is None
        assert accounts.resume(s, user_id=acc.id, secret=None) is None
        accounts.forget(s, user_id=acc.id)
    with local_db.transaction() as s:
        assert accounts.resume(s, user_id=acc.id, secret=secret) is None
        assert not accounts.is_remembered(s, user_id=acc.id)


def test_remember_secret_names_are_per_database_and_account() -> None:
    assert accounts.remember_secret_name(device_id="d1", user_id="u") != accounts.remember_secret_name(
        device_id="d2", user_id="u")
