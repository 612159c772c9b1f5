"""Settings: appearance and how "2,125" is read, the exam profile (students), this account, the sync
server (ui/sync_form.py), a class."""
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
from desktop_app.ui.sync_form import SyncCard
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import Card, button, scrolling_page


class SettingsPage(QWidget):
    """Signals: `sign_out()` (back to the sign-in screen); `profile_saved(ProfileView)`; `loaded()`."""

    sign_out = Signal()
    profile_saved = Signal(object)
    loaded = Signal()

    def __init__(self, ctx: AppContext, account: Account, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx, self._account = ctx, account

        appearance = Card(self.tr("Appearance and typing"))
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
        self.number_comma = QComboBox()
        for label, value in ((self.tr("Ask me the first time"), ""),
                             (self.tr("2125: the comma groups thousands"), "thousands"),
                             (self.tr("2.125: a decimal comma"), "decimal")):
            self.number_comma.addItem(label, value)
        self.number_comma.setToolTip(self.tr("Only a comma followed by exactly three digits reads two ways"))
        self._show_number_comma()
        self.number_comma.currentIndexChanged.connect(
            lambda _i: setattr(ctx.prefs, "number_comma", self.number_comma.currentData() or None))
        form = QFormLayout()
        form.addRow(self._label(self.tr("The&me"), self.theme), self.theme)
        form.addRow(self._label(self.tr("Text &size"), self.font_size), self.font_size)
        form.addRow(self._label(self.tr("N&umbers: 2,125 means"), self.number_comma), self.number_comma)
        appearance.body.addLayout(form)

        self.profile: ProfileForm | None = None  # a teacher sits no exam: no exam card
        self.exam_card = self._exam_card(ctx, account.id) if account.role != "teacher" else None

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

        self.sync_card = SyncCard(ctx, role=account.role)

        self.class_card = self._class_card() if account.role == "student" else None

        column = scrolling_page(self, max_ems=64)  # readable lines
        column.addWidget(heading(self.tr("Settings")))
        column.addWidget(appearance)
        if self.exam_card is not None:
            column.addWidget(self.exam_card)
        column.addWidget(account_card)
        column.addWidget(self.sync_card)
        if self.class_card is not None:
            column.addWidget(self.class_card)
        column.addStretch(1)

    def _exam_card(self, ctx: AppContext, student_id: str) -> Card:
        exam = Card(self.tr("Your exam"))
        save_text = self.tr("Save exam details")
        self.profile = ProfileForm(ctx, student_id, action=save_text)
        self.profile.saved.connect(self._profile_saved)
        self.profile.edited.connect(self._profile_edited)
        self.save_profile = button(save_text, icon_name="correct")
        self.save_profile.clicked.connect(self.profile.save)
        self.profile_status = QLabel()
        # A draft can be dropped as well as saved: it would otherwise stay for the whole session.
        self.discard_profile = button(self.tr("Discard changes"),
                                      tooltip=self.tr("Show the saved exam details again"))
        self.discard_profile.clicked.connect(self._discard_profile)
        self.discard_profile.hide()
        exam.body.addWidget(self.profile)
        row = QHBoxLayout()
        row.addWidget(self.profile_status, 1)
        row.addWidget(self.discard_profile)
        row.addWidget(self.save_profile)
        exam.body.addLayout(row)
        return exam

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

    def _show_number_comma(self) -> None:
        """The preference as it is now (Practice sets it when the student answers its question)."""
        self.number_comma.blockSignals(True)
        self.number_comma.setCurrentIndex(max(0, self.number_comma.findData(self._ctx.prefs.number_comma or "")))
        self.number_comma.blockSignals(False)

    def refresh(self) -> None:
        self._show_number_comma()
        student = self._account.id
        self._ctx.runner.query(
            lambda s: (get_profile(s, student_id=student), accounts.is_remembered(s, user_id=student),
                       membership.class_name(s, student_id=student)),
            on_success=self._show)

    def _show(self, data: tuple) -> None:  # type: ignore[type-arg]
        view, remembered, class_name = data
        if self.class_card is not None and class_name and not self.join_message.text():
            self.join_message.setText(self.tr("You are in the class %1.").replace("%1", class_name))
        if self.profile is not None and not self.profile.is_dirty():  # a draft stays until saved or discarded
            self._load_profile(view)
        self.keep.blockSignals(True)
        self.keep.setChecked(remembered)
        self.keep.blockSignals(False)
        self.loaded.emit()

    def _load_profile(self, view: object) -> None:
        assert self.profile is not None
        self.profile.load(view)  # type: ignore[arg-type]
        self.profile_status.clear()
        self.discard_profile.hide()

    def _discard_profile(self) -> None:
        """Read the saved details afresh (a sync may have changed them since the draft began)."""
        student = self._account.id
        self._ctx.runner.query(lambda s: get_profile(s, student_id=student), on_success=self._load_profile)

    def _profile_saved(self, view: object) -> None:
        self.discard_profile.setVisible(bool(self.profile and self.profile.is_dirty()))
        self.profile_status.setText(self.tr("Saved. The plan follows these details from now on."))
        self.profile_saved.emit(view)

    def _profile_edited(self) -> None:
        assert self.profile is not None
        self.discard_profile.setVisible(self.profile.is_dirty())
        if self.profile.is_dirty():
            self.profile_status.setText(self.tr("Not saved yet"))
        elif self.profile_status.text() == self.tr("Not saved yet"):  # typed back to what is saved
            self.profile_status.clear()

    def _keep_toggled(self, keep: bool) -> None:
        store, device, user = self._ctx.secrets, self._ctx.device_id, self._account.id
        self._ctx.runner.write(lambda s: signin.keep_signed_in(s, store=store, device_id=device, user_id=user,
                                                               keep=keep))
