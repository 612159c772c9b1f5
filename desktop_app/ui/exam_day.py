"""The exam countdown in words, for Home and the Study plan: before the exam, on its day, after it.

One function decides which of these today is and says it, so the two screens agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QLocale, QObject


@dataclass(frozen=True)
class ExamDay:
    """`days_left` is None without an exam date, 0 on the exam day, negative once it passed.
    `headline` is the countdown ("12 days left", "Exam day"), `line` the sentence under it,
    `plan_note` what stands instead of a plan on the exam day and after it (None before)."""

    days_left: int | None
    headline: str
    line: str
    plan_note: str | None = None


def exam_day(*, exam_date: date | None, today: date, target_exam: str, locale: QLocale) -> ExamDay:
    """GUI thread (translates). `today` is the student's calendar day (AppContext.today)."""
    return ExamDayWords().say(exam_date=exam_date, today=today, target_exam=target_exam, locale=locale)


class ExamDayWords(QObject):
    """Only for `self.tr`, whose plural forms lupdate finds (QCoreApplication.translate's it does not)."""

    def say(self, *, exam_date: date | None, today: date, target_exam: str, locale: QLocale) -> ExamDay:
        if exam_date is None:
            return ExamDay(None, self.tr("No exam date"), self.tr("Set your exam date so the plan can count the days."))
        days_left = (exam_date - today).days
        exam = target_exam or self.tr("your exam")
        when = locale.toString(exam_date, "d MMMM yyyy")
        if days_left > 0:
            return ExamDay(days_left, self.tr("%n day(s) left", "", days_left),
                           self.tr("until %1 on %2").replace("%1", exam).replace("%2", when))
        if days_left == 0:
            return ExamDay(0, self.tr("Exam day"),
                           self.tr("%1 is today, %2. Good luck!").replace("%1", exam).replace("%2", when),
                           self.tr("Nothing new is planned on the day of the exam: "
                                   "a light review of your strongest topics is enough."))
        # A date that has passed is no countdown: ask for the next one.
        return ExamDay(days_left, self.tr("Exam date passed"),
                       self.tr("%1 was on %2. Set the date of your next exam so the plan can count the days.")
                       .replace("%1", exam).replace("%2", when),
                       self.tr("No plan: the exam date has passed. Set the date of your next exam in Settings "
                               "to make a new one."))
