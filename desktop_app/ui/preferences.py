"""The user's preferences, kept with QSettings (organisation "AdaptiveLearning").

Only harmless values live here: theme, font size, how a typed "2,125" is read, the sync
server's address and user name. Secrets never do (credentials.SecretStore holds them).
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QObject, QSettings, Signal

from desktop_app.services.answers import COMMA_READINGS, Comma

ORGANISATION = "AdaptiveLearning"
APPLICATION = "Adaptive Learning"
THEMES = ("system", "light", "dark")
FONT_SCALES = (0.9, 1.0, 1.15, 1.3, 1.5)


class Preferences(QObject):
    """Typed access to QSettings; `appearance_changed` fires when theme or font size change."""

    appearance_changed = Signal()

    def __init__(self, settings: QSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._s = settings if settings is not None else QSettings(ORGANISATION, APPLICATION)

    @property
    def theme(self) -> str:
        value = str(self._s.value("appearance/theme", "system"))
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        if value not in THEMES:
            raise ValueError(value)
        if value != self.theme:
            self._s.setValue("appearance/theme", value)
            self.appearance_changed.emit()

    @property
    def font_scale(self) -> float:
        try:
            value = float(self._s.value("appearance/font_scale", 1.0))
        except (TypeError, ValueError):
            return 1.0
        return min(max(value, FONT_SCALES[0]), FONT_SCALES[-1])

    @font_scale.setter
    def font_scale(self, value: float) -> None:
        if abs(value - self.font_scale) > 1e-9:
            self._s.setValue("appearance/font_scale", float(value))
            self.appearance_changed.emit()

    @property
    def number_comma(self) -> Comma | None:
        """How an answer like "2,125" is read: "thousands" (2125), "decimal" (2.125), or None
        while the student has not said (practice asks the first time)."""
        value = str(self._s.value("input/number_comma", ""))
        return next((comma for comma in COMMA_READINGS if comma == value), None)

    @number_comma.setter
    def number_comma(self, value: Comma | None) -> None:
        if value is None:
            self._s.remove("input/number_comma")
        elif value in COMMA_READINGS:
            self._s.setValue("input/number_comma", value)
        else:
            raise ValueError(value)

    @property
    def server_url(self) -> str:
        return str(self._s.value("sync/server_url", ""))

    @server_url.setter
    def server_url(self, value: str) -> None:
        self._s.setValue("sync/server_url", value.strip())

    @property
    def sync_username(self) -> str:
        return str(self._s.value("sync/username", ""))

    @sync_username.setter
    def sync_username(self, value: str) -> None:
        self._s.setValue("sync/username", value.strip())

    @property
    def window_geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    def sync(self) -> None:
        self._s.sync()
