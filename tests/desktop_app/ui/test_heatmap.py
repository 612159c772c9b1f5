"""The heatmap widget alone: what it shows, header clicks ask for a sort, readable numbers."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from desktop_app.services.class_mastery import from_server, sorted_students
from desktop_app.ui.heatmap import Heatmap, text_colour

ANSWER = {"class_id": "c", "name": "Set 1", "students": [
    {"user_id": "1", "username": "Zoe", "topics": [{"topic_id": "a", "name": "Algebra", "mastery": 72.4, "attempts": 5},
                                                   {"topic_id": "g", "name": "Geometry", "mastery": 0, "attempts": 0}]},
    {"user_id": "2", "username": "Ali", "topics": [{"topic_id": "a", "name": "Algebra", "mastery": 31.0, "attempts": 2},
                                                   {"topic_id": "g", "name": "Geometry", "mastery": 55, "attempts": 4}]},
]}


def test_cells_header_clicks_and_painting(qtbot: QtBot) -> None:
    table = from_server(ANSWER)
    heatmap = Heatmap()
    qtbot.addWidget(heatmap)
    heatmap.resize(500, heatmap.sizeHint().height())
    heatmap.set_rows(table, sorted_students(table, column=None))
    heatmap.show()
    assert heatmap.cells() == [["Student", "Algebra", "Geometry"], ["Ali", "31", "55"], ["Zoe", "72", "–"],
                               ["Class average", "52", "55"]]
    _, name_w, cell_w = heatmap._metrics()
    for column, x in ((None, 5), (0, int(name_w + cell_w / 2)), (1, int(name_w + cell_w * 1.5))):
        with qtbot.waitSignal(heatmap.sort_requested) as blocker:
            qtbot.mouseClick(heatmap, Qt.MouseButton.LeftButton, pos=QPoint(x, 4))
        assert blocker.args == [column]
    with qtbot.assertNotEmitted(heatmap.sort_requested):  # a cell is not a header
        qtbot.mouseClick(heatmap, Qt.MouseButton.LeftButton, pos=QPoint(int(name_w + 4), heatmap.height() - 6))
    assert not heatmap.grab().toImage().isNull()


def test_numbers_are_black_or_white_whichever_reads_better() -> None:
    assert text_colour(QColor("#00224e")) == QColor("#ffffff")  # dark end of cividis
    assert text_colour(QColor("#fee838")) == QColor("#000000")  # light end
