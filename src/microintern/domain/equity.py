"""Equity of recruitment and selection: who applied, who was accepted, by group.

For each demographic question the district chooses (school, grade, gender, race/ethnicity,
first generation, free/reduced lunch, language ...), every answer is a group with its applicants,
accepted applicants and selection rate. Each rate is compared with the highest group's rate; a
ratio below four fifths (0.8) is flagged, the "four-fifths rule" of adverse-impact screening.
The ratio is a prompt to look closer, not a finding: with small groups chance alone moves rates
a lot (one more acceptance among 4 applicants moves the rate by 25 points), so a group smaller
than ``min_group_size`` is never flagged. Its ratio is still shown, with the reason it is not
flagged ("not flagged: fewer than 10 applicants in the group"), and it is not chosen as the
reference unless no group is large enough. The Uniform Guidelines that define the four-fifths
rule themselves warn that it is not meaningful for small numbers; 10 applicants by default.

Blank answers form the group ``(not given)``: it is shown with its own rate and ratio, but it
is never the reference group. Where enrollment counts are known (e.g. students per school) the
report also compares each group's share of applicants with its share of enrollment.

The module is config-agnostic: callers pass plain :class:`Outcome` and
:class:`DemographicField` values. The config shape proposed for it (``ProgramConfig.equity``)::

    class EquitySettings(ConfigModel):
        fields: list[str] = Field(default_factory=list)            # question keys to group by
        enrollment: dict[str, dict[str, int]] = Field(default_factory=dict)  # key -> group -> count
        threshold: float = Field(default=0.8, gt=0, le=1)
        min_group_size: int = Field(default=10, ge=1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from microintern.domain.records import Record
from microintern.domain.screening import chosen

NOT_GIVEN = "(not given)"
OTHER = "(other)"
FOUR_FIFTHS = 0.8
MIN_GROUP_SIZE = 10
"""Groups with fewer applicants are never flagged (the config's ``equity.min_group_size``)."""

EQUITY_COLUMNS = (
    "Question", "Group", "Applicants", "Accepted", "Selection rate", "Ratio to highest",
    "Below four fifths", "Share of applicants", "Enrolled", "Share of enrollment", "Note",
)


@dataclass(frozen=True)
class Outcome:
    """One applicant as the report sees them: answers by question key, and whether accepted."""

    answers: Mapping[str, str]
    accepted: bool


@dataclass(frozen=True)
class DemographicField:
    """A question to group applicants by.

    ``options``: the question's choices, used to read checkbox answers (``multiple``), where one
    applicant may belong to several groups. ``enrollment``: students enrolled per group, when
    known, to compare the applicant pool with the student body.
    """

    key: str
    label: str
    options: tuple[str, ...] = ()
    multiple: bool = False
    enrollment: Mapping[str, int] | None = None


@dataclass(frozen=True)
class GroupResult:
    """One group of one question: counts, selection rate, ratio and shares."""

    group: str
    applicants: int
    accepted: int
    selection_rate: float | None
    ratio: float | None
    below_four_fifths: bool           # flagged: ratio below the threshold and the group not small
    reference: bool
    small: bool                       # fewer applicants than ``min_group_size``: never flagged
    applicant_share: float | None
    enrolled: int | None
    enrollment_share: float | None
    min_group_size: int = MIN_GROUP_SIZE

    @property
    def note(self) -> str:
        """A short note for the coordinator: reference group, why a small group is not flagged."""
        notes = []
        if self.reference:
            notes.append("highest rate (reference)")
        if self.group == NOT_GIVEN:
            notes.append("never the reference")
        if self.applicants == 0:
            notes.append("no applicants")
        elif self.small:
            notes.append(f"not flagged: fewer than {self.min_group_size} applicants in the group")
        return "; ".join(notes)


@dataclass(frozen=True)
class FieldResult:
    """Every group of one question, the reference group first among the given answers."""

    key: str
    label: str
    groups: tuple[GroupResult, ...]
    reference: str | None
    answered: int

    @property
    def flagged(self) -> tuple[str, ...]:
        """The groups whose selection rate is below the threshold ratio."""
        return tuple(g.group for g in self.groups if g.below_four_fifths)


@dataclass(frozen=True)
class EquityReport:
    """The selection-equity report over every chosen question."""

    fields: tuple[FieldResult, ...]
    applicants: int
    accepted: int
    threshold: float
    min_group_size: int


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _groups_of(answer: str, field: DemographicField) -> list[str]:
    text = " ".join(answer.split())
    if not text:
        return [NOT_GIVEN]
    if field.multiple:
        if field.options:
            picked = chosen(text, field.options)
            return picked or [OTHER]
        parts = [" ".join(p.split()) for p in text.replace(";", ",").split(",")]
        return [p for p in dict.fromkeys(parts) if p] or [NOT_GIVEN]
    return [text]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _field_result(
    outcomes: Sequence[Outcome], field: DemographicField, threshold: Fraction, min_group_size: int
) -> FieldResult:
    spellings: dict[str, set[str]] = {}
    applied: dict[str, int] = {}
    accepted: dict[str, int] = {}
    answered = 0
    for outcome in outcomes:
        raw = outcome.answers.get(field.key)
        groups = _groups_of("" if raw is None else str(raw), field)
        if groups != [NOT_GIVEN]:
            answered += 1
        for group in dict.fromkeys(groups):
            key = _fold(group)
            spellings.setdefault(key, set()).add(group)
            applied[key] = applied.get(key, 0) + 1
            accepted[key] = accepted.get(key, 0) + (1 if outcome.accepted else 0)

    enrollment = {_fold(name): (name, count) for name, count in (field.enrollment or {}).items()}
    known = {_fold(o): o for o in field.options}
    for key, (name, _count) in enrollment.items():
        spellings.setdefault(key, set()).add(name)
        applied.setdefault(key, 0)
        accepted.setdefault(key, 0)

    def label(key: str) -> str:
        if key in enrollment:
            return enrollment[key][0]
        return known.get(key) or min(spellings[key])

    not_given = _fold(NOT_GIVEN)
    given = [k for k in applied if k != not_given and applied[k] > 0]
    large = [k for k in given if applied[k] >= min_group_size] or given
    # Highest rate; ties go to the larger group, then the name, so the choice is stable.
    reference = max(
        large, key=lambda k: (Fraction(accepted[k], applied[k]), applied[k], label(k)), default=None
    )
    if reference is not None and accepted[reference] == 0:
        reference = None  # nobody accepted yet: no rate to compare with

    enrolled_total = sum(count for _name, count in enrollment.values())
    results = []
    for key in applied:
        n, k = applied[key], accepted[key]
        ratio: Fraction | None = None
        if reference is not None and n:
            ratio = Fraction(k, n) / Fraction(accepted[reference], applied[reference])
        enrolled = enrollment[key][1] if key in enrollment else None
        results.append(GroupResult(
            group=NOT_GIVEN if key == not_given else label(key),
            applicants=n,
            accepted=k,
            selection_rate=k / n if n else None,
            ratio=float(ratio) if ratio is not None else None,
            # A small group is never flagged: its rate says too little (see the module's docstring).
            below_four_fifths=ratio is not None and ratio < threshold and n >= min_group_size,
            reference=key == reference,
            small=n < min_group_size,
            applicant_share=_share(n, answered) if key != not_given else _share(n, len(outcomes)),
            enrolled=enrolled,
            enrollment_share=_share(enrolled, enrolled_total) if enrolled is not None else None,
            min_group_size=min_group_size,
        ))
    results.sort(key=lambda g: (g.group == NOT_GIVEN, not g.reference, -g.applicants, _fold(g.group)))
    return FieldResult(
        key=field.key,
        label=field.label,
        groups=tuple(results),
        reference=label(reference) if reference is not None else None,
        answered=answered,
    )


def selection_equity(
    outcomes: Sequence[Outcome],
    fields: Sequence[DemographicField],
    *,
    threshold: float = FOUR_FIFTHS,
    min_group_size: int = MIN_GROUP_SIZE,
) -> EquityReport:
    """Selection rates per group for each field, with four-fifths flags and enrollment shares.

    A group with fewer than ``min_group_size`` applicants is never flagged (its note says why).
    A group's share of applicants is taken over applicants who answered the question (so it
    compares with enrollment shares); the ``(not given)`` group's share is over all applicants.
    Ratios are computed exactly, so a ratio of exactly 0.8 is not flagged.
    """
    limit = Fraction(str(threshold))
    return EquityReport(
        fields=tuple(_field_result(outcomes, f, limit, min_group_size) for f in fields),
        applicants=len(outcomes),
        accepted=sum(1 for o in outcomes if o.accepted),
        threshold=threshold,
        min_group_size=min_group_size,
    )


def _round(value: float | None, places: int = 2) -> float | str:
    return "" if value is None else round(value, places)


def percent(value: float | None, blank: str = "-") -> str:
    """A rate or share as people read it: 0.375 -> "37.5%" (``blank`` when there is none)."""
    return blank if value is None else f"{100 * value:.1f}%"


def equity_rows(report: EquityReport) -> list[Record]:
    """Rows for the Equity tab (:data:`EQUITY_COLUMNS`): rates and shares as percentages
    ("37.5%", as the report shows them), the ratio to two decimals."""
    rows: list[Record] = []
    for field in report.fields:
        for g in field.groups:
            rows.append(dict(zip(EQUITY_COLUMNS, (
                field.label, g.group, g.applicants, g.accepted, percent(g.selection_rate, ""),
                _round(g.ratio), "yes" if g.below_four_fifths else "", percent(g.applicant_share, ""),
                "" if g.enrolled is None else g.enrolled, percent(g.enrollment_share, ""), g.note,
            ), strict=True)))
    return rows



def equity_table(report: EquityReport) -> str:
    """A plain-text table for the CLI, one block per question; ``*`` marks a flagged group."""
    lines = [
        f"Selection equity: {report.accepted} accepted of {report.applicants} applicants; "
        f"* = selection rate below {report.threshold:g} of the highest group's; groups under "
        f"{report.min_group_size} applicants are not flagged",
    ]
    headers = ("  Group", "Applied", "Accepted", "Rate", "Ratio", "Applicants", "Enrollment", "Note")
    for field in report.fields:
        table = [headers]
        for g in field.groups:
            mark = "*" if g.below_four_fifths else " "
            table.append((
                f"{mark} {g.group}", str(g.applicants), str(g.accepted), percent(g.selection_rate),
                "-" if g.ratio is None else f"{g.ratio:.2f}", percent(g.applicant_share),
                percent(g.enrollment_share), g.note,
            ))
        widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
        lines.append("")
        lines.append(f"{field.label} ({field.answered} answered)")
        for row in table:
            cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1],
                                                                             strict=True)]
            lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
