"""The report's figures with the program's own words in another language (no I/O).

:func:`~microintern.domain.report.build_report` names sessions, assignments, ratings, the program
and the district in the program's default language, as the Dashboard tab and the sheet do.
:func:`in_language` gives the same figures with those names in a report's language, from the
config's per-language texts (the default language's where a text has no translation): a
Spanish report says "Becarios de datos", the Dashboard keeps "Data Fellows".
"""

from __future__ import annotations

from dataclasses import replace

from microintern.config import ProgramConfig
from microintern.config.fields import text_in
from microintern.domain.feedback import rating_titles
from microintern.domain.report.model import ProgramReport


def in_language(report: ProgramReport, config: ProgramConfig, language: str) -> ProgramReport:
    """``report`` with the program's own names in ``language`` (the figures are the same)."""
    titles = {s.id: text_in(s.title, language) for s in config.sessions}
    assignments = {(s.id, a.id): text_in(a.title, language)
                   for s in config.sessions for a in config.assignments_of(s)}

    def title(session_id: str, given: str) -> str:
        return titles.get(session_id, given)

    students = None
    if report.students is not None:
        students = tuple(sorted((replace(s, session=title(s.session_id, s.session)) for s in report.students),
                                key=lambda s: (s.session, s.name.casefold())))
    ratings = rating_titles(config, language)
    return replace(
        report,
        program=text_in(config.program.name, language),
        district=text_in(config.program.district, language),
        attendance=tuple(replace(a, title=title(a.session_id, a.title)) for a in report.attendance),
        feedback=tuple(replace(f, title=title(f.session_id, f.title)) for f in report.feedback),
        ratings=tuple(ratings) if len(ratings) == len(report.ratings) else report.ratings,
        assignments=tuple(replace(a, session_title=title(a.session_id, a.session_title),
                                  assignment=assignments.get((a.session_id, a.assignment_id), a.assignment))
                          for a in report.assignments),
        hours=tuple(replace(h, title=title(h.session_id, h.title)) for h in report.hours),
        students=students,
    )
