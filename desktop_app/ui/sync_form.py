"""Settings → Sync: the server address and the sign-in to it (or a new account on it),
checked before anything is sent.

Every field is checked on the GUI thread (string checks only) and its problem shown under
it, the way the first-run form does; only a form without problems reaches the
`SyncController`, which does the network work off the GUI thread. Each attempt starts by
clearing what the last one said, so an old message never sits next to a new one.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from desktop_app.services.passwords import MIN_PASSWORD_LENGTH
from desktop_app.ui.context import AppContext
from desktop_app.ui.widgets import Card, FieldError, button, with_error


# The server's rule for a new user name (sync_server/schemas.py, Username); a sign-in takes
# any name, since the server answers a wrong one like a wrong password.
SERVER_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{3,64}")


def problems(*, server_url: str, username: str, password: str, register: bool = False, confirm: str = "",
             role: str = "student", teacher_code: str = "") -> dict[str, str]:
    """{field: problem code} for a sign-in (or, with `register`, a new account) form; empty
    when it may be sent. Pure (no Qt)."""
    found: dict[str, str] = {}
    url = server_url.strip()
    if not url:
        found["server"] = "server_empty"
    elif not url.startswith(("https://", "http://")):
        found["server"] = "server_scheme"
    elif not _host(url):
        found["server"] = "server_incomplete"
    if not username.strip():
        found["username"] = "username_empty"
    elif register and not SERVER_USERNAME.fullmatch(username.strip()):
        found["username"] = "username_rules"
    if not password:
        found["password"] = "password_empty"
    elif register and len(password) < MIN_PASSWORD_LENGTH:
        found["password"] = "password_short"
    if register and password and confirm != password:
        found["confirm"] = "confirm_different"
    if register and role == "teacher" and not teacher_code.strip():
        found["teacher_code"] = "teacher_code_empty"
    return found


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        return ""
    return "" if any(c.isspace() for c in url) else host


class SyncCard(Card):
    """The Sync card of Settings: address, user name, password, sign in/out, sync now.

    Talks only to `ctx.sync` (a SyncController); its outcomes arrive as that controller's
    signals on the GUI thread.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, role: str = "student") -> None:
        super().__init__(self.tr("Sync"), parent)
        self._ctx = ctx
        self.sync_note = QLabel()
        self.sync_note.setWordWrap(True)
        self.server = QLineEdit(ctx.prefs.server_url)
        self.server.setPlaceholderText("https://sync.example.org")
        self.server.setAccessibleName(self.tr("Sync server address"))
        self.server_error = FieldError(self.server)
        self.sync_user = QLineEdit(ctx.prefs.sync_username)
        self.sync_user.setAccessibleName(self.tr("Sync user name"))
        self.user_error = FieldError(self.sync_user)
        self.sync_password = QLineEdit()
        self.sync_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sync_password.setAccessibleName(self.tr("Sync password"))
        self.password_error = FieldError(self.sync_password)
        # A new account on the server (the CLI's `register`): the same fields and three more.
        self.create = QCheckBox(self.tr("Create an account on this ser&ver"))
        self.create.setToolTip(self.tr("For a first sign-in: the server has no account for you yet."))
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName(self.tr("Repeat the sync password"))
        self.confirm_error = FieldError(self.confirm)
        self.role = QComboBox()
        self.role.addItem(self.tr("Student"), "student")
        self.role.addItem(self.tr("Teacher"), "teacher")
        self.role.setAccessibleName(self.tr("Account on the server for a"))
        # The local account's role: a teacher who keeps the default must not become a student
        # on the server (and then here: signing in takes the server's role).
        self.role.setCurrentIndex(max(0, self.role.findData(role)))
        self.teacher_code = QLineEdit()
        self.teacher_code.setEchoMode(QLineEdit.EchoMode.Password)  # a secret of the school
        self.teacher_code.setAccessibleName(self.tr("Teacher code"))
        self.teacher_code.setPlaceholderText(self.tr("from whoever runs this server"))
        self.teacher_code_error = FieldError(self.teacher_code)
        self._form = form = QFormLayout()
        form.addRow(_label(self.tr("Server &address"), self.server), with_error(self.server, self.server_error))
        form.addRow(_label(self.tr("User &name"), self.sync_user), with_error(self.sync_user, self.user_error))
        form.addRow(_label(self.tr("Pass&word"), self.sync_password),
                    with_error(self.sync_password, self.password_error))
        form.addRow("", self.create)
        self._confirm_cell = with_error(self.confirm, self.confirm_error)
        form.addRow(_label(self.tr("&Repeat password"), self.confirm), self._confirm_cell)
        form.addRow(_label(self.tr("&I am a"), self.role), self.role)
        self._code_cell = with_error(self.teacher_code, self.teacher_code_error)
        form.addRow(_label(self.tr("&Teacher code"), self.teacher_code), self._code_cell)
        for field in (self.server, self.sync_user, self.sync_password, self.confirm, self.teacher_code):
            field.returnPressed.connect(self.sign_in)
        self.create.toggled.connect(self._show_register_fields)
        self.role.currentIndexChanged.connect(self._show_register_fields)
        self.sync_in = button(self.tr("Sign in to sync"), icon_name="sync-syncing")
        self.sync_in.clicked.connect(self.sign_in)
        self.sync_out = button(self.tr("Sign out of sync"), icon_name="sync-offline")
        self.sync_out.clicked.connect(ctx.sync.sign_out)
        self.sync_now = button(self.tr("S&ync now"), icon_name="sync-done", tooltip=self.tr("Sync now (F5)"))
        self.sync_now.clicked.connect(ctx.sync.sync_now)
        # The outcome of an attempt, on its own row: beside the buttons it wrapped into a
        # narrow column of three lines.
        self.sync_message = QLabel()
        self.sync_message.setWordWrap(True)
        self.sync_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sync_message.hide()  # shown with something to say (_say): no empty gap below the buttons
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.sync_out)
        buttons.addWidget(self.sync_now)
        buttons.addWidget(self.sync_in)
        # Changes the server refused for good stay here, with its reason, until resolved.
        self.refused = QLabel()
        self.refused.setWordWrap(True)
        self.refused.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.sync_note)
        self.body.addLayout(form)
        self.body.addLayout(buttons)
        self.body.addWidget(self.sync_message)
        self.body.addWidget(self.refused)
        ctx.sync.action_failed.connect(self._action_failed)
        ctx.sync.sign_in_failed.connect(self._sign_in_failed)
        ctx.sync.signed_in_changed.connect(self._signed_in)
        ctx.sync.refused_changed.connect(self._show_refused)
        self._signed_in(ctx.sync.available and ctx.sync.signed_in)
        self._show_refused(ctx.sync.refused)
        self._show_register_fields()

    def _show_register_fields(self, *_args: object) -> None:
        creating = self.create.isChecked()
        self._form.setRowVisible(self._confirm_cell, creating)
        self._form.setRowVisible(self.role, creating)
        self._form.setRowVisible(self._code_cell, creating and self.role.currentData() == "teacher")
        self.sync_in.setText(self.tr("Create account and sign in") if creating else self.tr("Sign in to sync"))

    def _messages(self) -> dict[str, str]:
        return {
            "server_empty": self.tr("Enter the address of your school's sync server, e.g. https://sync.school.org."),
            "server_scheme": self.tr("The address starts with https:// (or http:// on a school network)."),
            "server_incomplete": self.tr("This is not a complete address: it looks like https://sync.school.org."),
            "username_empty": self.tr("Enter your user name on the sync server."),
            "password_empty": self.tr("Enter your password on the sync server."),
            "username_rules": self.tr("A user name on the server has 3 to 64 letters, digits or . _ @ -"),
            "password_short": self.tr("Use at least %1 characters.").replace("%1", str(MIN_PASSWORD_LENGTH)),
            "confirm_different": self.tr("The two passwords are different."),
            "teacher_code_empty": self.tr("A teacher account needs the server's teacher code: ask whoever runs "
                                          "the server."),
        }

    def _clear_messages(self) -> None:
        for error in (self.server_error, self.user_error, self.password_error, self.confirm_error,
                      self.teacher_code_error):
            error.show_message(None)
        self._say("")

    def sign_in(self) -> None:
        """Check every field; send the sign-in (or registration) only when none has a problem."""
        if not self.sync_in.isEnabled():
            return  # an attempt is on its way (Enter in a field)
        self._clear_messages()
        url, username, password = self.server.text().strip(), self.sync_user.text().strip(), self.sync_password.text()
        creating = self.create.isChecked()
        role = str(self.role.currentData()) if creating else "student"
        code = self.teacher_code.text().strip() if role == "teacher" else ""
        found = problems(server_url=url, username=username, password=password, register=creating,
                         confirm=self.confirm.text(), role=role, teacher_code=code)
        if found:
            messages = self._messages()
            fields = {"server": (self.server, self.server_error), "username": (self.sync_user, self.user_error),
                      "password": (self.sync_password, self.password_error),
                      "confirm": (self.confirm, self.confirm_error),
                      "teacher_code": (self.teacher_code, self.teacher_code_error)}
            for name, problem in found.items():
                fields[name][1].show_message(messages[problem])
            fields[next(iter(found))][0].setFocus()  # the first field with a problem, in form order
            return
        self._ctx.prefs.server_url = url
        self._ctx.prefs.sync_username = username
        waiting = self.tr("Creating your account…") if creating else self.tr("Signing in…")
        self._say(waiting if self._ctx.sync.available else "")
        self.sync_in.setEnabled(False)  # one attempt at a time; the outcome re-enables it
        # The password stays until the outcome is known: a server that is merely unreachable
        # must not cost the student retyping it (it is cleared on success or when wrong).
        if creating:
            self._ctx.sync.register(server_url=url, username=username, password=password, role=role,
                                    teacher_code=code)
        else:
            self._ctx.sync.sign_in(server_url=url, username=username, password=password)

    def _action_failed(self, message: str) -> None:
        self.sync_in.setEnabled(True)
        self._say(message)

    def _sign_in_failed(self, why: str, message: str) -> None:
        self.sync_in.setEnabled(True)
        self._say("")
        if why == "wrong_credentials":
            self.sync_password.clear()
            self.password_error.show_message(message)
            self.sync_password.setFocus()
        elif why == "username_taken":
            self.user_error.show_message(message)
            self.sync_user.setFocus()
        elif why == "teacher_code":
            self.teacher_code.clear()
            self.teacher_code_error.show_message(message)
            self.teacher_code.setFocus()
        elif why == "bad_address":
            self.server_error.show_message(message)
            self.server.setFocus()
        else:
            self._say(message)

    def _say(self, text: str) -> None:
        self.sync_message.setText(text)
        self.sync_message.setVisible(bool(text))

    def _signed_in(self, signed_in: bool) -> None:
        if not self._ctx.sync.available:
            self.sync_note.setText(self.tr("Sync is not available yet in this version: your work stays on this "
                                           "computer and is kept for when it is."))
        else:
            self.sync_note.setText(self.tr("Signed in: your work is sent to the server when you are online.")
                                   if signed_in else self.tr("Sign in to keep your work on the school's server."))
        self.sync_out.setEnabled(signed_in)
        self.sync_now.setEnabled(signed_in)
        if signed_in:
            self.sync_in.setEnabled(True)
            for secret in (self.sync_password, self.confirm, self.teacher_code):
                secret.clear()
            self.create.setChecked(False)  # the account exists now: next time is a sign-in
            self._clear_messages()  # "Signing in…" or an earlier failure no longer applies

    def _show_refused(self, lines: list[str]) -> None:
        if not lines:
            self.refused.hide()
            return
        shown = lines[:10] + ([self.tr("… and %1 more").replace("%1", str(len(lines) - 10))] if len(lines) > 10 else [])
        self.refused.setText(self.tr("The server refused %n change(s). Your work stays on this computer:", "", len(lines))
                             + "\n" + "\n".join(f"• {line}" for line in shown))
        self.refused.show()


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label
