"""Headless sync commands: register, login, logout, sync. Registered with desktop_app.cli.

    adaptive-learning register --data-dir DIR --server URL --username NAME [--role student|teacher]
                               (a teacher also needs the server's teacher code in $ADAPTIVE_LEARNING_TEACHER_CODE)
    adaptive-learning login    --data-dir DIR --server URL --username NAME
    adaptive-learning logout   --data-dir DIR
    adaptive-learning sync     --data-dir DIR [--server URL]

The password comes from the environment (ADAPTIVE_LEARNING_PASSWORD) or the first line of
stdin (prompted without echo on a terminal); it is never a command-line argument, where
other users could read it. The token goes to the OS keyring (an owner-only file next to the
database where there is none: said once); the server URL and username go to sync_state.
`sync` runs one full round (push, pull, check): exit 0, or 1 with a one-line reason.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from desktop_app.cli import _EXTENSIONS, CommandError, _data_dir, command
from desktop_app.db.database import LocalDatabase

PASSWORD_ENV = "ADAPTIVE_LEARNING_PASSWORD"
TEACHER_CODE_ENV = "ADAPTIVE_LEARNING_TEACHER_CODE"  # a secret too: never a command-line argument


def _password() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError(f"no password: set {PASSWORD_ENV} or pass it on stdin")
    return password


def _open(args: argparse.Namespace) -> LocalDatabase:
    from desktop_app.services.setup import initialise

    db, _ = initialise(_data_dir(args))
    return db


def _sign(args: argparse.Namespace, *, register: bool) -> int:
    from sync_client import account
    from sync_client.errors import AccountConflict, InvalidCredentials, SyncError
    from sync_client.state import TokenStore
    from sync_client.transport import HttpTransport

    password = _password()
    db = _open(args)
    try:
        tokens = TokenStore(_data_dir(args), db.device_id)
        transport = HttpTransport(args.server)
        kw = dict(server_url=args.server, username=args.username, password=password)
        try:
            signed = (account.register(db, transport, tokens, role=args.role,
                                       teacher_code=os.environ.get(TEACHER_CODE_ENV), **kw) if register
                      else account.login(db, transport, tokens, **kw))
        except InvalidCredentials:
            raise CommandError("wrong username or password") from None
        except AccountConflict as exc:
            raise CommandError(f"cannot register {args.username!r}: {exc}") from None
        except SyncError as exc:
            if getattr(exc, "code", "") == "teacher_code_required":
                raise CommandError(f"{exc} (put it in ${TEACHER_CODE_ENV})") from None
            raise CommandError(str(exc)) from None
    finally:
        db.close()
    print(f"{'Registered and signed' if register else 'Signed'} in to {args.server} as {signed.username} "
          f"({signed.role})")
    if signed.reowned_from:
        print("The work done on this laptop before signing in moves to this account on the next sync.")
    if signed.fallback_secret_file:
        print("Note: no system keyring was found, so the sign-in token is kept in an owner-only file next to "
              "the database.", file=sys.stderr)
    return 0


@command("register")
def _register(args: argparse.Namespace) -> int:
    return _sign(args, register=True)


@command("login")
def _login(args: argparse.Namespace) -> int:
    return _sign(args, register=False)


@command("logout")
def _logout(args: argparse.Namespace) -> int:
    from sync_client import account
    from sync_client.state import TokenStore
    from sync_client.transport import HttpTransport

    db = _open(args)
    try:
        url, _, _ = account.linked_account(db)
        account.logout(db, HttpTransport(url or "http://127.0.0.1", retries=0),
                       TokenStore(_data_dir(args), db.device_id))
    finally:
        db.close()
    print("Signed out; the work on this laptop stays here.")
    return 0


@command("sync")
def _sync(args: argparse.Namespace) -> int:
    from sync_client import account, state
    from sync_client.engine import Synchronizer, describe
    from sync_client.errors import AuthRequired, ServerUnreachable, SyncError
    from sync_client.state import TokenStore
    from sync_client.transport import HttpTransport

    db = _open(args)
    try:
        url, username, _ = account.linked_account(db)
        if args.server and args.server != url:
            if url is None:
                raise CommandError(f"not signed in: run `adaptive-learning login --server {args.server} ...` first")
            with db.transaction() as session:  # the server moved: remember its new address
                state.put(session, state.SERVER_URL, args.server)
            url = args.server
        if not url:
            raise CommandError("not signed in to a sync server: run `adaptive-learning login` first")
        synchronizer = Synchronizer(db, HttpTransport(url), token=TokenStore(_data_dir(args), db.device_id).get)
        try:
            result = synchronizer.run()
        except AuthRequired:
            raise CommandError(f"the sign-in of {username!r} has expired or was revoked: run "
                               "`adaptive-learning login` again") from None
        except ServerUnreachable as exc:
            raise CommandError(f"{exc}; your changes stay queued") from None
        except SyncError as exc:
            raise CommandError(str(exc)) from None
    finally:
        db.close()
    if result.rejected:
        first = result.rejected[0]
        raise CommandError(f"{len(result.rejected)} change(s) refused by the server (first: {first.table} "
                           f"{first.row_id}: {first.reason}); the rest synced")
    short = {t: c for t, c in result.mismatches.items() if c[0] < c[1]}
    if short:
        raise CommandError("rows missing after a full re-pull: " +
                           ", ".join(f"{t} {local}/{server}" for t, (local, server) in sorted(short.items())))
    if result.held:
        raise CommandError(f"{result.held} change(s) wait for rows the server has not sent; run sync again")
    print(f"Synced with {url}: {describe(result)}")
    return 0


def _add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for name, text in (("register", "create an account on a sync server and sign this laptop in"),
                       ("login", "sign this laptop in to a sync server account")):
        p = sub.add_parser(name, parents=[common], help=text,
                           description=f"{text}. The password is read from ${PASSWORD_ENV} or stdin.")
        p.add_argument("--server", required=True, help="the sync server's address, e.g. https://sync.example.org")
        p.add_argument("--username", required=True)
        if name == "register":
            p.add_argument("--role", choices=("student", "teacher"), default="student")
    sub.add_parser("logout", parents=[common], help="sign this laptop out of sync (the local work stays)")
    p = sub.add_parser("sync", parents=[common], help="one full sync round: push, pull, check")
    p.add_argument("--server", help="the sync server's address (default: the one signed in to)")


_EXTENSIONS.append(_add_parsers)
