"""`microintern send-test` and the letters preview: every letter, as this program would send it.

Each letter is rendered from the program's own data (:mod:`microintern.steps.previews`): a real
applicant, session and partner where the program sheet has them, the program's own sessions and
partners with a placeholder student otherwise. Never from fictional samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from microintern.config import ProgramConfig, text_in
from microintern.domain import program_sheet as sheet
from microintern.domain.catalog import LETTERS
from microintern.domain.letters import LetterRenderer
from microintern.domain.records import OutgoingMessage
from microintern.errors import RowError
from microintern.ports import Mailer, Roster, SharedFolders
from microintern.steps.previews import PreviewSource
from microintern.steps.template_check import letter_languages


def _domain(address: str) -> str:
    return address.rpartition("@")[2].casefold()


def staff_address(config: ProgramConfig, address: str) -> bool:
    """Whether ``address`` is the district's own: the coordinator's domain (or the sender's)."""
    return _domain(address) in {_domain(config.coordinator.email), _domain(config.sender.address)}


def send_samples(config: ProgramConfig, mailer: Mailer, letters: LetterRenderer, to: str, *,
                 only: Sequence[str] = (), now: datetime, roster: Roster | None = None,
                 applicant: str | None = None, session: str | None = None,
                 folders: SharedFolders | None = None) -> list[str]:
    """Render every letter (or ``only`` these) in each of the program's languages; send each to ``to``.

    ``roster`` is the program sheet the previews read real rows from (None: the config alone, with
    a placeholder student); real rows are read only when ``to`` is in the district's domain
    (:func:`staff_address`), since they name a student; ``applicant`` (an id) previews the
    letters of that applicant's row, ``session`` (an id) the letters to that session's partner and staff.
    ``folders`` (Drive, or the local folders) gives the real link of a session's submissions folder.
    Every letter renders before the first is sent, so a broken template sends nothing.
    Returns the keys sent.
    """
    try:
        validate_email(to, check_deliverability=False)
    except EmailNotValidError as exc:
        raise RowError("send-test", "--to", "to", f"not an email address ({exc})") from None
    unknown = [name for name in only if name not in LETTERS]
    if unknown:
        raise RowError("send-test", "--letter", "letter",
                       f"unknown letter(s) {unknown}; known: {sorted(LETTERS)}")
    if not staff_address(config, to):
        # A student's name and id leave the district only in the letters meant for her: samples
        # to any other address preview the program with a placeholder student.
        if applicant:
            raise RowError("send-test", "--applicant", "applicant",
                           f"a real applicant's letters go only to an address in the district's "
                           f"domain ({_domain(config.coordinator.email)}), not to {_domain(to)}")
        roster = None
    source = PreviewSource(config, roster, folders)
    if applicant and not any(str(r.get(sheet.APPLICANT_ID) or "").strip() == applicant
                             for r in source.applications):
        raise RowError("send-test", "--applicant", "applicant", f"no Applications row has id {applicant!r}")
    if session and session not in {s.id for s in config.sessions}:
        raise RowError("send-test", "--session", "session",
                       f"no session {session!r}; known: {[s.id for s in config.sessions]}")
    stamp = now.strftime("%Y%m%dT%H%M%S")
    messages: list[OutgoingMessage] = []
    for name, spec in LETTERS.items():
        if only and name not in only:
            continue
        for language in letter_languages(config, spec):
            context, about = source.context(spec, language, applicant, session)
            letter = letters.render(name, language, context,
                                    row=f"preview {name}.{language} ({about or 'placeholder student'})")
            messages.append(OutgoingMessage(
                key=f"{config.program.id}/send-test/{name}.{language}/{stamp}",
                sender=f"{text_in(config.sender.name, language)} <{config.sender.address}>",
                to=to,
                subject=f"[TEST] {letter.subject}",
                text=letter.text,
                html=letter.html,
                reply_to=config.sender.reply_to or config.coordinator.email,
            ))
    for message in messages:
        mailer.send_draft(mailer.create_draft(message))
    return [m.key for m in messages]
