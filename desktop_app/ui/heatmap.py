"""A class's mastery as a heatmap: one row per student, one column per topic, the class
average as the last row, painted with QPainter (like ui/charts.py).

Cells are cividis (readable with any common colour-vision deficiency and in greyscale) and
every cell carries its number, so colour is never the only signal; an empty cell (no
attempts on the topic) is drawn hatched with a dash. Clicking a topic's header asks for a
sort by that topic, clicking the "Student" header for a sort by name (`sort_requested`).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QFontMetricsF, QHelpEvent, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from desktop_app.services.class_mastery import MasteryTable, StudentRow
from desktop_app.ui.charts import cividis


def text_colour(background: QColor) -> QColor:
    """Black or white, whichever contrasts more with `background` (WCAG relative luminance)."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    lum = 0.2126 * channel(background.redF()) + 0.7152 * channel(background.greenF()) + \
        0.0722 * channel(background.blueF())
    return QColor("#000000") if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else QColor("#ffffff")


_HEADER_ROWS = 1.4  # in rows: topic names wrap onto two lines of text


def _two_lines(fm: QFontMetrics, text: str, width: int) -> list[str]:
    """`text` word-wrapped into at most two lines of `width`, the second elided if needed."""
    words, first = text.split(), ""
    while words and fm.horizontalAdvance((first + " " + words[0]).strip()) <= width:
        first = (first + " " + words.pop(0)).strip()
    if not first:  # one long word
        return [fm.elidedText(text, Qt.TextElideMode.ElideRight, width)]
    rest = " ".join(words)
    return [first, fm.elidedText(rest, Qt.TextElideMode.ElideRight, width)] if rest else [first]


class Heatmap(QWidget):
    """Signals: `sort_requested(object)`: a topic column index, or None for the student name."""

    sort_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._table: MasteryTable | None = None
        self._rows: list[StudentRow] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(self.tr("Class mastery heatmap"))

    # --- data -------------------------------------------------------------------------
    def set_rows(self, table: MasteryTable | None, rows: list[StudentRow]) -> None:
        self._table, self._rows = table, list(rows)
        self.setAccessibleDescription("; ".join(f"{r.username}: " + ", ".join(
            f"{name} {self._text(v)}" for (_, name), v in zip(table.topics, r.mastery)) for r in rows) if table else "")
        self.updateGeometry()
        self.update()

    def cells(self) -> list[list[str]]:
        """What the heatmap shows, as text: a header row, a row per student, the average row."""
        if self._table is None:
            return []
        out = [[self.tr("Student"), *(name for _, name in self._table.topics)]]
        out += [[r.username, *(self._text(v) for v in r.mastery)] for r in self._rows]
        out.append([self.tr("Class average"), *(self._text(v) for v in self._table.average())])
        return out

    @staticmethod
    def _text(value: float | None) -> str:
        return "–" if value is None else f"{value:.0f}"

    # --- geometry ---------------------------------------------------------------------
    def _metrics(self) -> tuple[float, float, float]:
        fm = self.fontMetrics()
        row = fm.height() * 1.9
        bold = self.font()
        bold.setBold(True)
        names = [fm.horizontalAdvance(r.username) for r in self._rows] + [fm.horizontalAdvance(self.tr("Student")),
                                                                           QFontMetricsF(bold).horizontalAdvance(
                                                                               self.tr("Class average"))]
        name_w = min(max(names) + fm.height(), max(self.width() * 0.3, 80.0))
        columns = len(self._table.topics) if self._table else 1
        cell_w = max((self.width() - name_w) / max(columns, 1), fm.horizontalAdvance("100") + 8.0)
        return row, name_w, cell_w

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        row = self.fontMetrics().height() * 1.9
        return QSize(560, int(row * (len(self._rows) + 1.6 + _HEADER_ROWS)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(240, self.sizeHint().height())

    def _hit(self, pos: QPointF) -> tuple[int, int | None] | None:
        """(row, column) under `pos`: row 0 is the header, column None the name column."""
        if self._table is None:
            return None
        row_h, name_w, cell_w = self._metrics()
        row = 0 if pos.y() < row_h * _HEADER_ROWS else int((pos.y() - row_h * _HEADER_ROWS) // row_h) + 1
        column = None if pos.x() < name_w else int((pos.x() - name_w) // cell_w)
        if row > len(self._rows) + 1 or (column is not None and column >= len(self._table.topics)):
            return None
        return row, column

    # --- painting ---------------------------------------------------------------------
    def paintEvent(self, _event: QEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        pal = self.palette()
        text, mid = pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Mid)
        fm = self.fontMetrics()
        if self._table is None or not self._table.topics or not self._rows:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.tr("No students have joined this class yet.") if self._table is not None
                       and not self._rows else self.tr("No mastery to show yet."))
            return
        row_h, name_w, cell_w = self._metrics()
        centre = Qt.AlignmentFlag.AlignCenter
        p.setPen(text)
        header_h = row_h * _HEADER_ROWS
        p.drawText(QRectF(4, 0, name_w - 8, header_h), Qt.AlignmentFlag.AlignBottom, self.tr("Student"))
        for c, (_, name) in enumerate(self._table.topics):
            rect = QRectF(name_w + c * cell_w + 2, 0, cell_w - 4, header_h)
            p.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                       "\n".join(_two_lines(fm, name, int(rect.width()))))
        rows = [(r.username, r.mastery) for r in self._rows] + [(self.tr("Class average"), self._table.average())]
        for i, (label, values) in enumerate(rows, start=1):
            y = (i - 1 + _HEADER_ROWS) * row_h + (row_h * 0.3 if i == len(rows) else 0)  # a gap before the average
            font = p.font()
            font.setBold(i == len(rows))
            p.setFont(font)
            p.setPen(text)
            p.drawText(QRectF(4, y, name_w - 8, row_h), Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, int(name_w - 8)))
            for c, value in enumerate(values):
                rect = QRectF(name_w + c * cell_w + 1, y + 1, cell_w - 2, row_h - 2)
                if value is None:
                    p.setPen(QPen(mid, 1))
                    p.setBrush(QBrush(mid, Qt.BrushStyle.BDiagPattern))
                    p.drawRect(rect)
                    p.setPen(text)
                else:
                    colour = cividis(value / 100)
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(colour)
                    p.drawRect(rect)
                    p.setPen(text_colour(colour))
                p.drawText(rect, centre, self._text(value))
        p.end()

    # --- interaction ------------------------------------------------------------------
    def mouseReleaseEvent(self, e: QMouseEvent) -> None:  # noqa: N802 - Qt override
        hit = self._hit(e.position())
        if hit is not None and hit[0] == 0:
            self.sort_requested.emit(hit[1])
        super().mouseReleaseEvent(e)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent) and self._table is not None:
            hit = self._hit(QPointF(e.pos()))
            if hit is None:
                QToolTip.hideText()
            elif hit[0] == 0:
                QToolTip.showText(e.globalPos(), self.tr("Click to sort by this column"), self)
            elif hit[1] is not None and 1 <= hit[0] <= len(self._rows):
                student = self._rows[hit[0] - 1]
                topic = self._table.topics[hit[1]][1]
                QToolTip.showText(e.globalPos(), self.tr("%1, %2: %3/100 from %4 answers")
                                  .replace("%1", student.username).replace("%2", topic)
                                  .replace("%3", self._text(student.mastery[hit[1]]))
                                  .replace("%4", str(student.attempts[hit[1]])), self)
            return True
        return super().event(e)
