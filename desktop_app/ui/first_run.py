"""First run (and "new account"): create a local account."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from desktop_app.services.accounts import USERNAME_MAX, AccountError
from desktop_app.services.passwords import MIN_PASSWORD_LENGTH
from desktop_app.ui import signin
from desktop_app.ui.context import AppContext
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import FieldError, button, centre_in, with_error


class CreateAccountPage(QWidget):
    """Signals: `created(SignedIn)`; `cancelled()` (only offered when accounts exist)."""

    created = Signal(object)
    cancelled = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.title = heading(self.tr("Welcome to Adaptive Learning"))
        intro = QLabel(self.tr("Create an account on this computer. Everything works offline; "
                               "your answers stay on this laptop until you choose to sync."))
        intro.setWordWrap(True)

        self.username = QLineEdit()
        self.username.setMaxLength(USERNAME_MAX)
        self.username.setAccessibleName(self.tr("User name"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.password.setPlaceholderText(self.tr("at least %1 characters").replace("%1", str(MIN_PASSWORD_LENGTH)))
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName(self.tr("Repeat password"))
        self.role = QComboBox()
        self.role.addItem(self.tr("Student"), "student")
        self.role.addItem(self.tr("Teacher"), "teacher")
        self.role.setAccessibleName(self.tr("I am a"))
        self.keep = QCheckBox(self.tr("&Keep me signed in on this computer"))
        self.keep.setToolTip(self.tr("A random key is kept in your system's keyring; your password is never stored."))
        self.username_error = FieldError(self.username)
        self.password_error = FieldError(self.password)
        self.confirm_error = FieldError(self.confirm)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, field, error in ((self.tr("&User name"), self.username, self.username_error),
                                   (self.tr("&Password"), self.password, self.password_error),
                                   (self.tr("&Repeat password"), self.confirm, self.confirm_error)):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, with_error(field, error))
        role_label = QLabel(self.tr("I am &a"))
        role_label.setBuddy(self.role)
        form.addRow(role_label, self.role)
        form.addRow("", self.keep)

        self.submit = button(self.tr("Create account"), icon_name="account", primary=True)
        self.submit.clicked.connect(self.accept)
        self.cancel = button(self.tr("Back to sign in"))
        self.cancel.clicked.connect(self.cancelled)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel)
        buttons.addStretch(1)
        buttons.addWidget(self.submit)

        box = QWidget()
        box.setMaximumWidth(560)
        inner = QVBoxLayout(box)
        inner.addWidget(self.title)
        inner.addWidget(intro)
        inner.addSpacing(8)
        inner.addLayout(form)
        inner.addLayout(buttons)
        centre_in(self, box)
        QWidget.setTabOrder(self.username, self.password)
        QWidget.setTabOrder(self.password, self.confirm)
        QWidget.setTabOrder(self.confirm, self.role)
        QWidget.setTabOrder(self.role, self.keep)
        QWidget.setTabOrder(self.keep, self.submit)
        QWidget.setTabOrder(self.submit, self.cancel)

    def reset(self, *, first_account: bool) -> None:
        for field in (self.username, self.password, self.confirm):
            field.clear()
        for error in (self.username_error, self.password_error, self.confirm_error):
            error.show_message(None)
        self.cancel.setVisible(not first_account)
        self.title.setText(self.tr("Welcome to Adaptive Learning") if first_account else self.tr("New account"))
        self.submit.setEnabled(True)
        self.username.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept()
            return
        super().keyPressEvent(event)

    def accept(self) -> None:
        if not self.submit.isEnabled():
            return
        for error in (self.username_error, self.password_error, self.confirm_error):
            error.show_message(None)
        if self.password.text() != self.confirm.text():
            self.confirm_error.show_message(self.tr("The two passwords are different."))
            self.confirm.setFocus()
            return
        username, password = self.username.text(), self.password.text()
        role, keep = self.role.currentData(), self.keep.isChecked()
        store, device = self._ctx.secrets, self._ctx.device_id
        self.submit.setEnabled(False)
        self._ctx.runner.write(
            lambda s: signin.create(s, store=store, device_id=device, username=username, password=password,
                                    role=role, keep=keep),
            on_success=self._created, on_failure=self._failed)

    def _created(self, result: signin.SignedIn) -> None:
        self.submit.setEnabled(True)
        self.created.emit(result)

    def _failed(self, exc: Exception) -> None:
        self.submit.setEnabled(True)
        if not isinstance(exc, AccountError):
            raise exc
        message = account_message(self, exc.code)
        target = self.password_error if exc.field == "password" else self.username_error
        target.show_message(message)
        (self.password if exc.field == "password" else self.username).setFocus()


def account_message(widget: QWidget, code: str) -> str:
    return {
        "username_empty": widget.tr("Choose a user name."),
        "username_too_long": widget.tr("A user name can have at most %1 characters.").replace("%1", str(USERNAME_MAX)),
        "username_taken": widget.tr("This user name is already used on this computer."),
        "password_too_short": widget.tr("Use at least %1 characters.").replace("%1", str(MIN_PASSWORD_LENGTH)),
        "unknown_account": widget.tr("There is no account with this name on this computer."),
        "wrong_password": widget.tr("That password is not right. Try again."),
        "role_invalid": widget.tr("Choose student or teacher."),
    }.get(code, code)
