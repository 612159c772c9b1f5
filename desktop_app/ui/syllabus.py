"""Syllabus: topics and concepts with mastery, prerequisites, locks; practise any unlocked concept."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeView, QVBoxLayout, QWidget,
)

from desktop_app.services import dashboard
from desktop_app.services.dashboard import ConceptNode, TopicNode
from desktop_app.ui.bank_import import ImportPanel
from desktop_app.ui.charts import cividis
from desktop_app.ui.context import AppContext
from desktop_app.ui.icons import icon
from desktop_app.ui.theme import heading
from desktop_app.ui.widgets import PAGE_MARGINS, button

KIND = Qt.ItemDataRole.UserRole + 1  # "topic" | "concept"
ID = Qt.ItemDataRole.UserRole + 2
UNLOCKED = Qt.ItemDataRole.UserRole + 3
MASTERY = Qt.ItemDataRole.UserRole + 4  # float or None
COLUMNS = 4  # name, mastery, attempts, needs


class MasteryDelegate(QStyledItemDelegate):
    """A small cividis bar with the number on it (the number carries the meaning)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(MASTERY)
        if value is None:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        option.text = ""
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        fm = option.fontMetrics
        number_w = fm.horizontalAdvance("100") + 8
        r = QRectF(option.rect).adjusted(4, 4, -4, -4)
        track = QRectF(r.left(), r.top(), max(r.width() - number_w, 8), r.height())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(option.palette.color(QPalette.ColorRole.Window))
        painter.drawRoundedRect(track, 3, 3)
        bar = QRectF(track.left(), track.top(), track.width() * min(max(value, 0.0), 100.0) / 100.0, track.height())
        painter.setBrush(cividis(value / 100.0))
        painter.drawRoundedRect(bar, 3, 3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(role))
        painter.drawText(QRectF(track.right(), option.rect.top(), number_w, option.rect.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.0f}")
        painter.restore()


class SyllabusPage(QWidget):
    """Signals: `practise((concept id, name))`; `loaded()`."""

    practise = Signal(object)
    loaded = Signal()

    def __init__(self, ctx: AppContext, student_id: str, parent: QWidget | None = None, *,
                 publish: bool = False) -> None:
        """`publish`: a teacher's imports are queued for the server (students pull them)."""
        super().__init__(parent)
        self._ctx, self._student_id = ctx, student_id
        self.tree: list[TopicNode] = []
        title = heading(self.tr("Syllabus"))
        self.hint = QLabel(self.tr("A topic unlocks when every topic it needs reaches %1 mastery.")
                           .replace("%1", f"{dashboard.UNLOCK_MASTERY:.0f}"))
        self.hint.setWordWrap(True)
        self.import_button = button(self.tr("&Import question bank…"), icon_name="import",
                                    tooltip=self.tr("Add questions from a bank file (JSON)"))
        self.practise_button = button(self.tr("Practise this &concept"), icon_name="play", primary=True,
                                      tooltip=self.tr("Practise the selected concept (Enter)"))
        self.practise_button.clicked.connect(self._practise_selected)
        self.model = QStandardItemModel(self)
        self.model.setHorizontalHeaderLabels([self.tr("Topic or concept"), self.tr("Mastery"),
                                              self.tr("Attempts"), self.tr("Needs")])
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setAccessibleName(self.tr("Topics and concepts"))
        self.view.setItemDelegateForColumn(1, MasteryDelegate(self.view))
        self.view.setAlternatingRowColors(True)
        self.view.setEditTriggers(QTreeView.EditTrigger.NoEditTriggers)
        self.view.setUniformRowHeights(True)
        self.view.activated.connect(self._activated)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._update_button())
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.importer = ImportPanel(ctx, publish=publish)
        self.import_button.clicked.connect(self.importer.choose_and_import)
        self.importer.imported.connect(lambda _report: self.refresh())

        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.import_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.detail, 1)
        bottom.addWidget(self.practise_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addWidget(self.importer, 1)
        layout.addWidget(self.view, 3)
        layout.addLayout(bottom)
        QWidget.setTabOrder(self.import_button, self.view)
        QWidget.setTabOrder(self.view, self.practise_button)
        self._update_button()

    def refresh(self) -> None:
        student = self._student_id
        self._ctx.runner.query(lambda s: dashboard.syllabus_tree(s, student_id=student), on_success=self.show_tree)

    def show_tree(self, tree: list[TopicNode]) -> None:
        current = self.view.currentIndex()
        current_id = current.siblingAtColumn(0).data(ID) if current.isValid() else None
        self.tree = tree
        self.model.removeRows(0, self.model.rowCount())
        for node in tree:
            self.model.appendRow(self._topic_row(node))
        self.view.expandAll()
        header = self.view.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, header.ResizeMode.Interactive)
        # Names in full where the page allows (the Needs column takes the rest), at most half of it.
        self.view.resizeColumnToContents(0)
        room = max(self.view.viewport().width(), self.width()) // 2
        self.view.setColumnWidth(0, max(min(self.view.columnWidth(0), room),
                                        self.fontMetrics().horizontalAdvance("M" * 24)))
        self.view.setColumnWidth(1, self.fontMetrics().horizontalAdvance("M" * 10))
        self.view.resizeColumnToContents(2)
        if current_id:
            found = self.model.match(self.model.index(0, 0), ID, current_id, 1,
                                     Qt.MatchFlag.MatchRecursive | Qt.MatchFlag.MatchExactly)
            if found:
                self.view.setCurrentIndex(found[0])
        elif self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0, 0))
        self._update_button()
        self.loaded.emit()

    def _row(self, kind: str, node_id: str, name: str, mastery: float | None, attempts: int, needs: str,
             unlocked: bool, tooltip: str) -> list[QStandardItem]:
        items = [QStandardItem(name), QStandardItem("" if mastery is None else f"{mastery:.0f}"),
                 QStandardItem(str(attempts)), QStandardItem(needs)]
        items[0].setData(kind, KIND)
        items[0].setData(node_id, ID)
        items[0].setData(unlocked, UNLOCKED)
        items[1].setData(mastery, MASTERY)
        items[2].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if not unlocked:
            items[0].setIcon(icon("lock"))
            dim = self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            for item in items:
                item.setForeground(dim)
        for item in items:
            item.setToolTip(tooltip)
        return items

    def _topic_row(self, node: TopicNode) -> list[QStandardItem]:
        needs = self.tr("Needs: %1").replace("%1", ", ".join(node.needs)) if node.needs else ""
        if node.unlocked:
            tip = node.description or node.name
        else:
            tip = self.tr("Locked. First reach %1 in: %2").replace("%1", f"{dashboard.UNLOCK_MASTERY:.0f}").replace(
                "%2", ", ".join(f"{n} (now {m:.0f})" for n, m in node.missing))
        row = self._row("topic", node.id, node.name, node.mastery, node.attempts, needs, node.unlocked, tip)
        for concept in node.concepts:
            row[0].appendRow(self._concept_row(concept, node))
        for child in node.children:
            row[0].appendRow(self._topic_row(child))
        return row

    def _concept_row(self, c: ConceptNode, topic: TopicNode) -> list[QStandardItem]:
        tip = (self.tr("%n question(s). Press Enter to practise.", "", c.questions) if c.unlocked else
               self.tr("Locked until %1 is unlocked.").replace("%1", topic.name))
        return self._row("concept", c.id, c.name, c.mastery, c.attempts, "", c.unlocked, tip)

    def _selected(self) -> QModelIndex:
        index = self.view.currentIndex()
        return index.siblingAtColumn(0) if index.isValid() else QModelIndex()

    def _update_button(self) -> None:
        index = self._selected()
        is_concept = index.isValid() and index.data(KIND) == "concept"
        unlocked = bool(index.data(UNLOCKED)) if index.isValid() else False
        self.practise_button.setEnabled(is_concept and unlocked)
        if not index.isValid():
            self.detail.setText("")
        elif not unlocked:
            self.detail.setText(index.data(Qt.ItemDataRole.ToolTipRole) or "")
        elif is_concept:
            self.detail.setText(self.tr("%1: press Enter or “Practise this concept”.").replace("%1", index.data()))
        else:
            self.detail.setText(self.tr("Choose a concept of %1 to practise it.").replace("%1", index.data()))

    def _activated(self, index: QModelIndex) -> None:
        index = index.siblingAtColumn(0)
        if index.data(KIND) == "concept" and index.data(UNLOCKED):
            self.practise.emit((index.data(ID), index.data()))
        elif index.data(KIND) == "topic":
            self.view.setExpanded(index, not self.view.isExpanded(index))

    def _practise_selected(self) -> None:
        self._activated(self._selected())
