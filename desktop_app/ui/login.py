"""Later starts: pick an account on this computer and type its password."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from desktop_app.services.accounts import Account, AccountError
from desktop_app.ui import signin
from desktop_app.ui.context import AppContext
from desktop_app.ui.first_run import account_message
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import FieldError, button, centre_in, with_error


class LoginPage(QWidget):
    """Signals: `signed_in(SignedIn)`; `new_account()`."""

    signed_in = Signal(object)
    new_account = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        title = heading(self.tr("Sign in"))
        self.account = QComboBox()
        self.account.setAccessibleName(self.tr("Account"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.keep = QCheckBox(self.tr("&Keep me signed in on this computer"))
        self.keep.setToolTip(self.tr("A random key is kept in your system's keyring; your password is never stored."))
        self.error = FieldError(self.password)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        account_label = QLabel(self.tr("&Account"))
        account_label.setBuddy(self.account)
        password_label = QLabel(self.tr("&Password"))
        password_label.setBuddy(self.password)
        form.addRow(account_label, self.account)
        form.addRow(password_label, with_error(self.password, self.error))
        form.addRow("", self.keep)
        self.submit = button(self.tr("Sign in"), icon_name="account", primary=True)
        self.submit.clicked.connect(self.accept)
        self.create = button(self.tr("New account…"))
        self.create.clicked.connect(self.new_account)
        row = QHBoxLayout()
        row.addWidget(self.create)
        row.addStretch(1)
        row.addWidget(self.submit)

        box = QWidget()
        box.setMaximumWidth(520)
        inner = QVBoxLayout(box)
        inner.addWidget(title)
        inner.addLayout(form)
        inner.addLayout(row)
        centre_in(self, box)
        QWidget.setTabOrder(self.account, self.password)
        QWidget.setTabOrder(self.password, self.keep)
        QWidget.setTabOrder(self.keep, self.submit)
        QWidget.setTabOrder(self.submit, self.create)

    def reset(self, accounts: list[Account], last: Account | None) -> None:
        self.account.clear()
        for acc in accounts:
            label = acc.display_name if acc.display_name == acc.username else f"{acc.display_name} ({acc.username})"
            self.account.addItem(label, acc.username)
        if last is not None:
            self.account.setCurrentIndex(max(0, self.account.findData(last.username)))
        self.password.clear()
        self.error.show_message(None)
        self.submit.setEnabled(True)
        self.password.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept()
            return
        super().keyPressEvent(event)

    def accept(self) -> None:
        if not self.submit.isEnabled() or self.account.count() == 0:
            return
        username, password, keep = self.account.currentData(), self.password.text(), self.keep.isChecked()
        store, device = self._ctx.secrets, self._ctx.device_id
        self.submit.setEnabled(False)
        self.error.show_message(None)
        self._ctx.runner.write(
            lambda s: signin.sign_in(s, store=store, device_id=device, username=username, password=password,
                                     keep=keep),
            on_success=self._done, on_failure=self._failed)

    def _done(self, result: signin.SignedIn) -> None:
        self.submit.setEnabled(True)
        self.password.clear()
        self.signed_in.emit(result)

    def _failed(self, exc: Exception) -> None:
        self.submit.setEnabled(True)
        if not isinstance(exc, AccountError):
            raise exc
        self.error.show_message(account_message(self, exc.code))
        self.password.selectAll()
        self.password.setFocus()
