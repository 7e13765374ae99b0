"""The one exception hierarchy of microintern.

Every error a user can cause or meet derives from :class:`MicrointernError`; the CLI maps each
family to a clean message and an exit code, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class MicrointernError(Exception):
    """Base of every error microintern raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config file: where, what was expected, what was found."""

    path: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.path}: expected {self.expected}, found {self.found}"


class ConfigError(MicrointernError):
    """The program config cannot be used; carries one problem per bad key."""

    exit_code = 2

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"] + [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


class RowError(MicrointernError):
    """Bad data in one row of a tab or a form response, named by row and field."""

    exit_code = 2

    def __init__(self, where: str, row: str, field: str, reason: str) -> None:
        self.where, self.row, self.field, self.reason = where, row, field, reason
        super().__init__(f"{where}, row {row}, field {field!r}: {reason}")


class TemplateError(MicrointernError):
    """A letter could not be rendered: names the template, the recipient's row and the field."""

    exit_code = 2


class BackendError(MicrointernError):
    """A backend (Google or local) failed; ``code`` is the HTTP status where there is one."""

    def __init__(
        self,
        message: str,
        code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after


class DeliveryUnknown(BackendError):
    """A send went out but its outcome was not confirmed; it is reconciled, never resent blindly."""


class BadgeServiceError(BackendError):
    """The badge service (Badgr) refused or failed a request; ``code`` is its HTTP status."""


class BadgeSignInError(BadgeServiceError):
    """microintern cannot sign in to the badge service: no saved token and no password to get one."""

    exit_code = 2


class RunLocked(MicrointernError):
    """Another run holds the lock; the caller exits 0 with a one-line notice."""

    exit_code = 0
