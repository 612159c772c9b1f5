"""The import panel tells a teacher what a new bank version kept, and the kept content is practised."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from desktop_app.db.ids import new_id
from desktop_app.db.models import Concept, Question
from desktop_app.resources import SAMPLE_BANK, resource_path
from desktop_app.ui.app import install_translations
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.syllabus import ID
from desktop_app.ui.workspace import SYLLABUS

TEACHERS = "Share 12 sweets in the ratio 1:2. Is the larger share 8?"


def test_a_new_version_that_drops_a_used_concept_says_it_was_kept(qtbot: QtBot, home_window: MainWindow,
                                                                   tmp_path: Path) -> None:
    install_translations(QApplication.instance())  # the English plural forms, as the app has them
    with home_window.runner.db.transaction() as s:
        concept = s.scalar(select(Concept).where(Concept.local_id == "ratio-proportion"))
        s.add(Question(id=new_id(), concept_id=concept.id, local_id="teacher-ratio", type="true_false", text=TEACHERS,
                       correct_answer="true", difficulty=1, explanation="12 in 3 parts is 4 each; 2 parts are 8."))
    bank = json.loads(resource_path(SAMPLE_BANK).read_text(encoding="utf-8"))
    bank["version"] += 1
    bank["concepts"] = [c for c in bank["concepts"] if c["id"] != "ratio-proportion"]
    bank["questions"] = [q for q in bank["questions"] if q["concept"] != "ratio-proportion"]
    path = tmp_path / "next.json"
    path.write_text(json.dumps(bank), encoding="utf-8")

    page = home_window.workspace.syllabus
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        home_window.workspace.go(SYLLABUS)
    with qtbot.waitSignal(page.loaded, timeout=30_000):  # the tree reloads after the import
        page.importer.import_file(path)
    assert ("Kept 1 concept this version drops, still used by questions not from the bank: "
            "Ratio and proportion.") in page.importer.status.text()

    kept = page.model.match(page.model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Ratio and proportion", 1,
                            Qt.MatchFlag.MatchRecursive | Qt.MatchFlag.MatchExactly)
    assert kept and kept[0].data(ID) == concept.id
    page.view.setCurrentIndex(kept[0])
    page.view.setFocus()
    practice = home_window.workspace.practice
    with qtbot.waitSignal(practice.question_shown, timeout=20_000):
        qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert practice.current.question.text == TEACHERS
