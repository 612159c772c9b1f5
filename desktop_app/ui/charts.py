"""Mastery per topic as horizontal bars, painted with QPainter (no QtCharts in Essentials).

Colour follows cividis, which reads the same to people with any common colour-vision
deficiency and in greyscale; every bar also carries its number, so colour is never the
only signal. The dashed line marks the unlock threshold. The chart takes the keyboard focus:
Up/Down (Home/End) walk the bars and each one's details show as with the mouse.

A name sits left of its bar while every name fits in half the width; otherwise (a narrow
window, a large text size) each name goes on its own line above its bar, in full: a cut
"Fractions, …" says nothing, and students read the chart by name.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFocusEvent, QHelpEvent, QKeyEvent, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop_app.ui.icons import icon

_CIVIDIS = ("#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8779", "#a69d75", "#c4b56c", "#fee838")


def cividis(value: float) -> QColor:
    """The cividis colour of `value` in 0..1 (linear between nine stops)."""
    v = min(max(value, 0.0), 1.0) * (len(_CIVIDIS) - 1)
    i = min(int(v), len(_CIVIDIS) - 2)
    a, b, t = QColor(_CIVIDIS[i]), QColor(_CIVIDIS[i + 1]), v - i
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..100
    detail: str = ""  # tooltip
    locked: bool = False


class MasteryChart(QWidget):
    """Bars with a label column, the value, and an unlock threshold line."""

    def __init__(self, parent: QWidget | None = None, *, threshold: float = 60.0) -> None:
        super().__init__(parent)
        self._bars: list[Bar] = []
        self._threshold = threshold
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.tr("Mastery per topic"))
        self.current: int | None = None  # the bar chosen with the keyboard

    def set_bars(self, bars: list[Bar]) -> None:
        self._bars = list(bars)
        self.current = None if self.current is None or not bars else min(self.current, len(bars) - 1)
        self.setAccessibleDescription("; ".join(f"{b.label}: {b.value:.0f}" for b in bars))
        self.updateGeometry()
        self.update()

    def details(self, index: int) -> str:
        bar = self._bars[index]
        return f"{bar.label}: {bar.value:.0f}/100" + (f"\n{bar.detail}" if bar.detail else "")

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802 - Qt override
        moves = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}
        if not self._bars or e.key() not in (*moves, Qt.Key.Key_Home, Qt.Key.Key_End):
            super().keyPressEvent(e)
            return
        last = len(self._bars) - 1
        if e.key() == Qt.Key.Key_Home:
            self.current = 0
        elif e.key() == Qt.Key.Key_End:
            self.current = last
        else:
            start = -1 if moves[e.key()] > 0 else len(self._bars)
            self.current = min(max((start if self.current is None else self.current) + moves[e.key()], 0), last)
        row = self._row_height()
        QToolTip.showText(self.mapToGlobal(QPoint(int(self._geometry()[0]), (self.current + 1) * row)),
                          self.details(self.current), self)
        self.setAccessibleDescription(self.details(self.current))
        self.update()

    def focusOutEvent(self, e: QFocusEvent) -> None:  # noqa: N802 - Qt override
        self.update()
        super().focusOutEvent(e)

    def bars(self) -> list[Bar]:
        return list(self._bars)

    def _stacked(self, width: int | None = None) -> bool:
        """Names above their bars: some name does not fit in half of `width` (default: now)."""
        fm = self.fontMetrics()
        longest = max((fm.horizontalAdvance(b.label) for b in self._bars), default=0)
        return longest + fm.height() * 1.6 + 1 > (self.width() if width is None else width) * 0.5

    def _row_height(self, stacked: bool | None = None) -> int:
        stacked = self._stacked() if stacked is None else stacked
        return int(self.fontMetrics().height() * (2.9 if stacked else 1.7))

    def _height(self, stacked: bool) -> int:
        return self._row_height(stacked) * max(len(self._bars), 1) + self.fontMetrics().height() * 3

    def height_for(self, width: int) -> int:
        """The chart's height at `width`: a line more per bar when the names go above them."""
        return self._height(self._stacked(width))

    # The hints follow the width the chart has now (resizeEvent asks again when the names
    # move). Not heightForWidth: the scroll area of a page does not ask its layout for it,
    # so stacked names would draw past the chart's bottom.
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(480, self.height_for(self.width()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(260, self.height_for(self.width()))

    def resizeEvent(self, e: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(e)
        if self._stacked(e.size().width()) != self._stacked(e.oldSize().width()):
            self.updateGeometry()

    def changeEvent(self, e: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(e)
        if e.type() == QEvent.Type.FontChange:  # the text size changed: the names may move
            self.updateGeometry()

    def _geometry(self) -> tuple[float, float, float]:
        """x where the bars start, the value column's width, the bars' width."""
        fm = self.fontMetrics()
        value_w = fm.horizontalAdvance("100") + fm.height()
        if self._stacked():
            label_w = fm.height() * 1.3  # under the name, past the lock
        else:  # names in full in at most half the width (the bars still read well in the other half)
            label_w = max((fm.horizontalAdvance(b.label) for b in self._bars), default=0) + fm.height() * 1.6 + 1
        return label_w, value_w, max(self.width() - label_w - value_w, 20.0)

    def paintEvent(self, _event: QEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text, mid = pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Mid)
        fm = self.fontMetrics()
        label_w, value_w, track_w = self._geometry()
        row = self._row_height()
        bar_h = fm.height() * 0.9
        lock = icon("lock").pixmap(fm.height(), fm.height())
        if not self._bars:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.tr("No topics yet."))
            return
        stacked = self._stacked()
        # A stacked row: the name on a line of 1.4 heights, the bar on the rest.
        name_h = fm.height() * 1.4 if stacked else row
        bar_y, bar_row = (name_h, row - name_h) if stacked else (0.0, row)
        name_w = self.width() - fm.height() * 1.3 if stacked else label_w - fm.height() * 1.6
        for i, bar in enumerate(self._bars):
            y = i * row
            colour = QColor(text)
            if bar.locked:
                colour.setAlpha(150)
                p.drawPixmap(QPointF(0, y + (name_h - fm.height()) / 2), lock)
            p.setPen(colour)
            name = fm.elidedText(bar.label, Qt.TextElideMode.ElideRight, int(name_w))
            p.drawText(QRectF(fm.height() * 1.3, y, name_w + 1, name_h), Qt.AlignmentFlag.AlignVCenter, name)
            y += bar_y
            track = QRectF(label_w, y + (bar_row - bar_h) / 2, track_w, bar_h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(pal.color(QPalette.ColorRole.Window))
            p.drawRoundedRect(track, 3, 3)
            filled = QRectF(track.left(), track.top(), track.width() * min(max(bar.value, 0), 100) / 100, bar_h)
            p.setBrush(cividis(bar.value / 100))
            p.setPen(QPen(mid, 1))
            p.drawRoundedRect(filled, 3, 3)
            p.setPen(text)
            p.drawText(QRectF(label_w + track_w, y, value_w - fm.height() * 0.3, bar_row),  # clear of the focus ring
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, f"{bar.value:.0f}")
            if i == self.current and self.hasFocus():  # where the keyboard is
                p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRoundedRect(QRectF(1, i * row + 1, self.width() - 2, row - 2), 4, 4)
        x = label_w + track_w * self._threshold / 100
        bottom = len(self._bars) * row
        p.setPen(QPen(text, 1, Qt.PenStyle.DashLine))
        if stacked:  # across the bars only, not through the names above them
            for i in range(len(self._bars)):
                p.drawLine(QPointF(x, i * row + bar_y), QPointF(x, (i + 1) * row))
        else:
            p.drawLine(QPointF(x, 0), QPointF(x, bottom))
        p.setPen(text)
        legend = self.tr("Dashed line: %1 unlocks the topics that build on this one.").replace(
            "%1", f"{self._threshold:.0f}")
        p.drawText(QRectF(0, bottom + fm.height() * 0.4, self.width(), fm.height() * 2.6),  # two lines if narrow
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, legend)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            index = int(e.pos().y() // self._row_height())
            if 0 <= index < len(self._bars):
                QToolTip.showText(e.globalPos(), self.details(index), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)
