"""Settings: appearance, the exam profile, this account, and the sync server."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget,
)

from desktop_app.services import accounts, membership
from desktop_app.services.accounts import Account
from desktop_app.services.profile import get_profile
from desktop_app.ui import signin
from desktop_app.ui.context import AppContext
from desktop_app.ui.preferences import FONT_SCALES
from desktop_app.ui.profile_form import ProfileForm
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import Card, FieldError, button, scrolling_page, with_error


class SettingsPage(QWidget):
    """Signals: `sign_out()` (back to the sign-in screen); `profile_saved(ProfileView)`; `loaded()`."""

    sign_out = Signal()
    profile_saved = Signal(object)
    loaded = Signal()

    def __init__(self, ctx: AppContext, account: Account, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._account = ctx, account

        appearance = Card(self.tr("Appearance"))
        self.theme = QComboBox()
        for label, value in ((self.tr("Follow the system"), "system"), (self.tr("Light"), "light"),
                             (self.tr("Dark"), "dark")):
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(ctx.prefs.theme)))
        self.theme.currentIndexChanged.connect(lambda _i: setattr(ctx.prefs, "theme", self.theme.currentData()))
        self.font_size = QComboBox()
        for scale in FONT_SCALES:
            self.font_size.addItem(self.tr("%1% of the system size").replace("%1", f"{scale * 100:.0f}"), scale)
        self.font_size.setCurrentIndex(max(0, self.font_size.findData(ctx.prefs.font_scale)))
        self.font_size.currentIndexChanged.connect(
            lambda _i: setattr(ctx.prefs, "font_scale", float(self.font_size.currentData())))
        form = QFormLayout()
        form.addRow(self._label(self.tr("&Theme"), self.theme), self.theme)
        form.addRow(self._label(self.tr("Text &size"), self.font_size), self.font_size)
        appearance.body.addLayout(form)

        exam = Card(self.tr("Your exam"))
        save_text = self.tr("Save exam details")
        self.profile = ProfileForm(ctx, account.id, action=save_text)
        self.profile.saved.connect(self._profile_saved)
        self.save_profile = button(save_text, icon_name="correct")
        self.save_profile.clicked.connect(self.profile.save)
        self.profile_status = QLabel()
        exam.body.addWidget(self.profile)
        row = QHBoxLayout()
        row.addWidget(self.profile_status, 1)
        row.addWidget(self.save_profile)
        exam.body.addLayout(row)

        account_card = Card(self.tr("Account"))
        self.who = QLabel(self.tr("Signed in as %1 (%2).").replace("%1", account.display_name)
                          .replace("%2", self.tr("teacher") if account.role == "teacher" else self.tr("student")))
        self.keep = QCheckBox(self.tr("&Keep me signed in on this computer"))
        self.keep.setToolTip(self.tr("A random key is kept in your system's keyring; your password is never stored."))
        self.keep.toggled.connect(self._keep_toggled)
        self.switch = button(self.tr("Sign &out"), icon_name="account",
                             tooltip=self.tr("Sign out and choose another account"))
        self.switch.clicked.connect(self.sign_out)
        account_card.body.addWidget(self.who)
        account_card.body.addWidget(self.keep)
        account_card.body.addWidget(self.switch, 0, Qt.AlignmentFlag.AlignLeft)

        sync = Card(self.tr("Sync"))
        self.sync_note = QLabel()
        self.sync_note.setWordWrap(True)
        self.server = QLineEdit(ctx.prefs.server_url)
        self.server.setPlaceholderText("https://sync.example.org")
        self.server.setAccessibleName(self.tr("Sync server address"))
        self.server_error = FieldError(self.server)
        self.sync_user = QLineEdit(ctx.prefs.sync_username)
        self.sync_user.setAccessibleName(self.tr("Sync user name"))
        self.sync_password = QLineEdit()
        self.sync_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sync_password.setAccessibleName(self.tr("Sync password"))
        sync_form = QFormLayout()
        sync_form.addRow(self._label(self.tr("Server &address"), self.server), with_error(self.server, self.server_error))
        sync_form.addRow(self._label(self.tr("User &name"), self.sync_user), self.sync_user)
        sync_form.addRow(self._label(self.tr("Pass&word"), self.sync_password), self.sync_password)
        self.sync_in = button(self.tr("Sign in to sync"), icon_name="sync-syncing")
        self.sync_in.clicked.connect(self._sync_sign_in)
        self.sync_out = button(self.tr("Sign out of sync"), icon_name="sync-offline")
        self.sync_out.clicked.connect(ctx.sync.sign_out)
        self.sync_now = button(self.tr("Sync &now"), icon_name="sync-done", tooltip=self.tr("Sync now (F5)"))
        self.sync_now.clicked.connect(ctx.sync.sync_now)
        self.sync_message = QLabel()
        self.sync_message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_message, 1)
        buttons.addWidget(self.sync_out)
        buttons.addWidget(self.sync_now)
        buttons.addWidget(self.sync_in)
        # Changes the server refused for good stay here, with its reason, until resolved.
        self.refused = QLabel()
        self.refused.setWordWrap(True)
        self.refused.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        sync.body.addWidget(self.sync_note)
        sync.body.addLayout(sync_form)
        sync.body.addLayout(buttons)
        sync.body.addWidget(self.refused)
        ctx.sync.action_failed.connect(self.sync_message.setText)
        ctx.sync.signed_in_changed.connect(self._sync_signed_in)
        ctx.sync.refused_changed.connect(self._show_refused)
        self._sync_signed_in(ctx.sync.available and ctx.sync.signed_in)
        self._show_refused(ctx.sync.refused)

        self.class_card = self._class_card() if account.role == "student" else None

        column = scrolling_page(self, max_width=self.fontMetrics().horizontalAdvance("M") * 64)  # readable lines
        column.addWidget(heading(self.tr("Settings")))
        column.addWidget(appearance)
        column.addWidget(exam)
        column.addWidget(account_card)
        column.addWidget(sync)
        if self.class_card is not None:
            column.addWidget(self.class_card)
        column.addStretch(1)

    def _class_card(self) -> Card:
        """A student joins their teacher's class with its code (needs the sync sign-in)."""
        card = Card(self.tr("Class"))
        self.join_code = QLineEdit()
        self.join_code.setPlaceholderText(self.tr("Code from your teacher, e.g. K7M2Q9XR"))
        self.join_code.setAccessibleName(self.tr("Class join code"))
        self.join_code.setMaxLength(16)
        self.join_button = button(self.tr("&Join class"), tooltip=self.tr("Your teacher sees your mastery per topic"))
        self.join_button.clicked.connect(self._join_class)
        self.join_code.returnPressed.connect(self._join_class)
        self.join_message = QLabel()
        self.join_message.setWordWrap(True)
        self._net = TaskRunner(self)  # the server call runs off the GUI thread, apart from database tasks
        row = QHBoxLayout()
        row.addWidget(self._label(self.tr("Join &code"), self.join_code))
        row.addWidget(self.join_code, 1)
        row.addWidget(self.join_button)
        card.body.addLayout(row)
        card.body.addWidget(self.join_message)
        return card

    def _join_class(self) -> None:
        code = self.join_code.text().strip()
        client = self._ctx.sync.classes_client()
        if not code:
            self.join_code.setFocus()
            return
        if client is None or not self._ctx.sync.signed_in:
            self.join_message.setText(self.tr("Sign in to sync above first: classes live on the server."))
            return
        self.join_button.setEnabled(False)
        self.join_message.setText(self.tr("Joining…"))
        self._net.run(lambda: client.join_class(code), on_success=self._joined,  # type: ignore[attr-defined]
                      on_failure=self._join_failed)

    def _joined(self, joined: dict) -> None:  # type: ignore[type-arg]
        self.join_button.setEnabled(True)
        self.join_code.clear()
        self.join_message.setText(self.tr("You joined %1. Your teacher sees your progress from your next sync.")
                                  .replace("%1", joined.get("name", "")))
        self._ctx.sync.sync_now()  # brings the profile's class from the server

    def _join_failed(self, exc: Exception) -> None:
        self.join_button.setEnabled(True)
        code = getattr(exc, "code", "")
        self.join_message.setText(self.tr("No class has this code. Check it with your teacher.")
                                  if code == "unknown_join_code" else
                                  self.tr("Could not join: %1").replace("%1", str(exc)))

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def refresh(self) -> None:
        student = self._account.id
        self._ctx.runner.query(
            lambda s: (get_profile(s, student_id=student), accounts.is_remembered(s, user_id=student),
                       membership.class_name(s, student_id=student)),
            on_success=self._show)

    def _show(self, data: tuple) -> None:  # type: ignore[type-arg]
        view, remembered, class_name = data
        if self.class_card is not None and class_name and not self.join_message.text():
            self.join_message.setText(self.tr("You are in the class %1.").replace("%1", class_name))
        self.profile.load(view)
        self.keep.blockSignals(True)
        self.keep.setChecked(remembered)
        self.keep.blockSignals(False)
        self.profile_status.clear()
        self.loaded.emit()

    def _profile_saved(self, view: object) -> None:
        self.profile_status.setText(self.tr("Saved. The plan follows these details from now on."))
        self.profile_saved.emit(view)

    def _keep_toggled(self, keep: bool) -> None:
        store, device, user = self._ctx.secrets, self._ctx.device_id, self._account.id
        self._ctx.runner.write(lambda s: signin.keep_signed_in(s, store=store, device_id=device, user_id=user,
                                                               keep=keep))

    def _sync_sign_in(self) -> None:
        url = self.server.text().strip()
        if url and not url.startswith(("https://", "http://")):
            self.server_error.show_message(self.tr("The address starts with https:// (or http:// on a school network)."))
            self.server.setFocus()
            return
        self.server_error.show_message(None)
        self._ctx.prefs.server_url = url
        self._ctx.prefs.sync_username = self.sync_user.text()
        self.sync_message.setText(self.tr("Signing in…") if self._ctx.sync.available else "")
        self._ctx.sync.sign_in(server_url=url, username=self.sync_user.text(), password=self.sync_password.text())
        self.sync_password.clear()

    def _sync_signed_in(self, signed_in: bool) -> None:
        if not self._ctx.sync.available:
            self.sync_note.setText(self.tr("Sync is not available yet in this version: your work stays on this "
                                           "computer and is kept for when it is."))
        else:
            self.sync_note.setText(self.tr("Signed in: your work is sent to the server when you are online.")
                                   if signed_in else self.tr("Sign in to keep your work on the school's server."))
        self.sync_out.setEnabled(signed_in)
        self.sync_now.setEnabled(signed_in)
        if signed_in:
            self.sync_message.clear()  # "Signing in…" or an earlier failure no longer applies

    def _show_refused(self, lines: list[str]) -> None:
        if not lines:
            self.refused.hide()
            return
        shown = lines[:10] + ([self.tr("… and %1 more").replace("%1", str(len(lines) - 10))] if len(lines) > 10 else [])
        self.refused.setText(self.tr("The server refused %n change(s). Your work stays on this computer:", "", len(lines))
                             + "\n" + "\n".join(f"• {line}" for line in shown))
        self.refused.show()
