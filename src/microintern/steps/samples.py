"""`microintern send-test`: one sample of every letter, so a coordinator can proof them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from email_validator import EmailNotValidError, validate_email

from microintern.config import ProgramConfig, text_in
from microintern.domain.catalog import LETTERS, sample_context
from microintern.domain.letters import LetterRenderer
from microintern.domain.records import OutgoingMessage
from microintern.errors import RowError
from microintern.ports import Mailer


def send_samples(config: ProgramConfig, mailer: Mailer, letters: LetterRenderer, to: str, *,
                 only: Sequence[str] = (), now: datetime) -> list[str]:
    """Render every letter (or ``only`` these) in each of its languages and send it to ``to``.

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
    stamp = now.strftime("%Y%m%dT%H%M%S")
    messages: list[OutgoingMessage] = []
    for name, spec in LETTERS.items():
        if only and name not in only:
            continue
        for language in spec.languages:
            if language not in config.program.languages:
                continue
            letter = letters.render(name, language, sample_context(name, language),
                                    row=f"sample {name}.{language}")
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
