"""The report's charts with matplotlib (no display needed): SVG for the HTML, PNG for the PDF.

SVG keeps its text as text (``svg.fonttype: none``: searchable, sharp, small) and its ids are
prefixed per chart so several charts can live inline in one page. Output is deterministic (fixed
hash salt, no date metadata). Figures are built with the object-oriented API, never pyplot: no GUI
backend is ever chosen (``savefig`` draws with Agg and the SVG writer) and nothing global is kept
between reports. Each chart draws its series in the colours of
:data:`COLOURS` (what a rendering test looks for).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from microintern.documents.report.text import ReportText, english
from microintern.domain.equity import NOT_GIVEN
from microintern.domain.report import ProgramReport

INK = "#1f2933"
GRID = "#d9e2ec"
COLOURS: dict[str, tuple[str, ...]] = {
    "funnel": ("#3a6ea5",),
    "attendance": ("#9fb3c8", "#2a9d8f"),                 # placed, attended
    "feedback": ("#e9a400", "#c2571a", "#6a994e", "#7d5ba6", "#3d5a80"),   # one per rating
    "equity": ("#6a4c93", "#d1495b"),                    # selection rate; below four fifths
    "partners": ("#457b9d", "#b5838d"),                  # stages; declined
    "assignments": ("#43aa8b", "#f9c74f", "#f94144", "#cfd8dc"),   # on time, late, missing, not due
    "hours": ("#264653", "#e63946"),                     # confirmed per student; target
}
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "microintern-report",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.edgecolor": GRID,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
}
WIDTH_INCHES = 7.2
PNG_DPI = 150
MAX_GROUPS = 30   # sessions or assignments per chart: more are unreadable (the tables list them all)


@dataclass(frozen=True)
class Chart:
    """One rendered chart: inline SVG markup, a PNG, and a text alternative."""

    name: str
    svg: str
    png: bytes
    alt: str


def _short(label: str, limit: int = 28) -> str:
    """A label cut to ``limit`` characters, with ``$`` escaped (matplotlib reads $...$ as math)."""
    cut = label if len(label) <= limit else label[: limit - 1] + "…"
    return cut.replace("$", r"\$")


def _wrap(label: str, width: int = 24, lines: int = 2) -> str:
    """A tick label on at most ``lines`` lines of ``width`` characters."""
    parts = textwrap.wrap(label, width) or [""]
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][: width - 1] + "…"
    return "\n".join(parts).replace("$", r"\$")


def _ticks(ax: Axes, labels: Sequence[str], notes: Sequence[str] = ()) -> None:
    """Session names under the bars: wrapped when few, slanted and cut when many.

    ``notes`` (such as "n=3") follow each name whole, on a line of their own when wrapped: a
    long name is cut, its note never.
    """
    extra = list(notes) or [""] * len(labels)
    if len(labels) <= 8:
        ax.set_xticks(range(len(labels)), [_wrap(label) + (f"\n{note}" if note else "")
                                           for label, note in zip(labels, extra, strict=True)],
                      fontsize=8)
    else:
        ax.set_xticks(range(len(labels)), [_short(label, 24) + (f" ({note})" if note else "")
                                           for label, note in zip(labels, extra, strict=True)],
                      fontsize=6, rotation=40, ha="right")


def _capped(ax: Axes, total: int, what: str, t: ReportText) -> None:
    if total > MAX_GROUPS:
        ax.set_title(t.say("charts.capped", shown=t.number(MAX_GROUPS), total=t.number(total),
                           what=t.say(f"charts.{what}")),
                     fontsize=7, loc="right", color=INK)


def _legend_above(ax: Axes, columns: int, fontsize: float = 8) -> None:
    """The legend in a row above the plot area, outside it: it can never cover a bar."""
    ax.legend(frameon=False, ncols=max(columns, 1), fontsize=fontsize, loc="lower left",
              bbox_to_anchor=(0, 1.01), borderaxespad=0)


def _style(ax: Axes, *, horizontal: bool = False) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x" if horizontal else "y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def _funnel(report: ProgramReport, t: ReportText) -> tuple[Figure, str] | None:
    stages = list(report.funnel)
    if not any(s.count for s in stages):
        return None
    fig = Figure(figsize=(WIDTH_INCHES, 2.8))
    ax = fig.add_subplot()
    names = [t.name("stages", s.name) for s in reversed(stages)]
    counts = [s.count for s in reversed(stages)]
    bars = ax.barh(names, counts, color=COLOURS["funnel"][0], height=0.6)
    ax.bar_label(bars, labels=[t.number(c) for c in counts], padding=3, fontsize=8)
    ax.set_xlabel(t.say("charts.students"))
    _style(ax, horizontal=True)
    alt = t.say("charts.funnel_alt", stages=", ".join(f"{t.name('stages', s.name)} {t.number(s.count)}"
                                                      for s in stages))
    return fig, alt


def _grouped(ax: Axes, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]],
             shown: Callable[[float], str], notes: Sequence[str] = ()) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (name, values, colour) in enumerate(series):
        offsets = [x - 0.4 + width * (i + 0.5) for x in range(len(labels))]
        bars = ax.bar(offsets, values, width=width * 0.95, color=colour, label=name)
        if len(labels) <= 12:  # beyond that the numbers collide; the table has them
            ax.bar_label(bars, labels=[shown(v) for v in values], padding=2, fontsize=7)
    # Room above the tallest bar for its number (a caller with a fixed scale sets its own).
    ax.set_ylim(0, 1.15 * max([v for _n, values, _c in series for v in values] + [1]))
    _ticks(ax, labels, notes)


def _attendance(report: ProgramReport, t: ReportText) -> tuple[Figure, str] | None:
    sessions = list(report.attendance)[:MAX_GROUPS]
    if not sessions:
        return None
    fig = Figure(figsize=(WIDTH_INCHES, 3.2))
    ax = fig.add_subplot()
    _capped(ax, len(report.attendance), "sessions", t)
    placed, attended = COLOURS["attendance"]
    _grouped(ax, [s.title for s in sessions], [
        (t.say("charts.placed"), [s.placed for s in sessions], placed),
        (t.say("charts.attended"), [s.attended for s in sessions], attended)], t.number)
    ax.set_ylabel(t.say("charts.students"))
    ax.yaxis.get_major_locator().set_params(integer=True)   # students come whole
    _legend_above(ax, 2)
    _style(ax)
    alt = t.say("charts.attendance_alt", sessions="; ".join(
        t.say("charts.attendance_item", title=s.title, attended=t.number(s.attended),
              placed=t.number(s.placed)) for s in sessions))
    return fig, alt


def _feedback(report: ProgramReport, t: ReportText) -> tuple[Figure, str] | None:
    sessions = list(report.feedback)[:MAX_GROUPS]
    if not sessions:
        return None
    fig = Figure(figsize=(WIDTH_INCHES, 3.2))
    ax = fig.add_subplot()
    _capped(ax, len(report.feedback), "sessions", t)
    colours = COLOURS["feedback"]
    # n under each session's name: an average of 3 answers reads differently from one of 30.
    _grouped(ax, [s.title for s in sessions], [
        (_short(rating, 40), [s.averages[i] or 0 for s in sessions], colours[i % len(colours)])
        for i, rating in enumerate(report.ratings)], lambda v: t.decimals(v, 1),
        notes=[f"n={t.number(s.responses)}" for s in sessions])
    ax.set_ylim(0, 5.4)
    ax.set_ylabel(t.say("charts.rating_axis"))
    _legend_above(ax, min(3, len(report.ratings)), fontsize=7)
    _style(ax)
    alt = t.say("charts.feedback_alt", sessions="; ".join(
        t.say("charts.feedback_item", title=s.title, responses=t.number(s.responses)) for s in sessions))
    return fig, alt


def _equity(report: ProgramReport, t: ReportText) -> tuple[Figure, str] | None:
    equity = report.equity
    if equity is None or not equity.applicants:
        return None
    fields = [f for f in equity.fields if f.groups]
    if not fields:
        return None
    heights = [max(len(f.groups), 1) * 0.28 + 0.6 for f in fields]
    fig = Figure(figsize=(WIDTH_INCHES, sum(heights) + 0.3))
    axes = fig.subplots(len(fields), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)
    normal, flagged = COLOURS["equity"]
    for ax, field in zip(axes[:, 0], fields, strict=True):
        groups = list(reversed(field.groups))
        rates = [100 * (g.selection_rate or 0) for g in groups]
        # n beside each group: a small group is not flagged, and the reader sees why.
        names = [t.say("sections.equity.not_given") if g.group == NOT_GIVEN else g.group for g in groups]
        bars = ax.barh([f"{_short(name, 30)} (n={t.number(g.applicants)})" for name, g in
                        zip(names, groups, strict=True)], rates, height=0.6,
                       color=[flagged if g.below_four_fifths else normal for g in groups])
        ax.bar_label(bars, labels=[t.share(r / 100, 0) for r in rates], padding=2, fontsize=7)
        ax.set_xlim(0, 105)
        ax.set_title(_short(field.label, 80), fontsize=9, loc="left")
        _style(ax, horizontal=True)
    axes[-1, 0].set_xlabel(t.say("charts.equity_axis") + "\n" + t.say(
        "charts.equity_small", min_group_size=t.number(equity.min_group_size)))
    fig.align_ylabels(axes[:, 0])
    alt = t.say("charts.equity_alt", flagged=(
        "; ".join(f"{f.label}: {', '.join(f.flagged)}" for f in fields if f.flagged)
        or t.say("charts.none")))
    return fig, alt


def _partners(report: ProgramReport, t: ReportText) -> tuple[Figure, str] | None:
    """Where each partner stands now: one bar per status, each partner in exactly one bar."""
    if not report.partner_total:
        return None
    stages = list(report.partners)
    fig = Figure(figsize=(WIDTH_INCHES, 2.8))
    ax = fig.add_subplot()
    stage, declined = COLOURS["partners"]
    bars = ax.bar(range(len(stages)), [s.count for s in stages], width=0.6,
                  color=[declined if s.stage == "declined" else stage for s in stages])
    ax.bar_label(bars, labels=[t.number(s.count) for s in stages], padding=2, fontsize=8)
    ax.set_xticks(range(len(stages)), [_wrap(t.name("partner_statuses", s.stage), 12) for s in stages],
                  fontsize=8)
    ax.set_ylim(0, 1.2 * max([s.count for s in stages] + [1]))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel(t.say("charts.partners_axis"))
    _style(ax)
    alt = t.say("charts.partners_alt", engaged=t.number(report.partners_engaged),
                total=t.number(report.partner_total),
                stages=", ".join(f"{t.name('partner_statuses', s.stage)} {t.number(s.count)}"
                                 for s in stages))
    return fig, alt


def _assignments(report: ProgramReport, t: ReportText) -> tuple[Figure, str] | None:
    rows = list(report.assignments)[:MAX_GROUPS]
    if not rows:
        return None
    fig = Figure(figsize=(WIDTH_INCHES, 0.45 * len(rows) + 1.2))
    ax = fig.add_subplot()
    _capped(ax, len(report.assignments), "assignments", t)
    labels = [_short(f"{a.assignment} ({a.session_title})", 44) for a in reversed(rows)]
    left = [0.0] * len(rows)
    for attr, colour in zip(("on_time", "late", "missing", "not_due"), COLOURS["assignments"], strict=True):
        values = [getattr(a, attr) for a in reversed(rows)]
        ax.barh(labels, values, left=left, color=colour, label=t.say(f"charts.{attr}"), height=0.6)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel(t.say("charts.students"))
    ax.legend(frameon=False, ncols=4, fontsize=7, loc="lower right", bbox_to_anchor=(1, 1))
    _style(ax, horizontal=True)
    alt = t.say("charts.assignments_alt", items="; ".join(
        t.say("charts.assignments_item", assignment=a.assignment, handed_in=t.number(a.handed_in),
              missing=t.number(a.missing)) for a in rows))
    return fig, alt


def _hours(report: ProgramReport, t: ReportText) -> tuple[Figure, str] | None:
    rows = list(report.hours)[:MAX_GROUPS]
    if not rows:
        return None
    fig = Figure(figsize=(WIDTH_INCHES, 2.8))
    ax = fig.add_subplot()
    _capped(ax, len(report.hours), "sessions", t)
    confirmed, target = COLOURS["hours"]
    values = [round(h.per_student or 0, 1) for h in rows]
    bars = ax.bar(range(len(rows)), values, width=0.5, color=confirmed, label=t.say("charts.per_student"))
    ax.bar_label(bars, labels=[t.plain(v) for v in values], padding=2, fontsize=8)
    targets = [(i, h.target) for i, h in enumerate(rows) if h.target is not None]
    if targets:
        ax.hlines([goal for _i, goal in targets], [i - 0.35 for i, _g in targets],
                  [i + 0.35 for i, _g in targets], colors=target, linewidth=2.5, label=t.say("charts.target"))
    ax.set_xlim(-0.75, max(len(rows), 2) - 0.25)
    ax.set_ylim(0, 1.3 * max([*values, *(goal for _i, goal in targets), 1]))
    _ticks(ax, [h.title for h in rows])
    ax.set_ylabel(t.say("charts.hours_axis"))
    _legend_above(ax, 2, fontsize=7)
    _style(ax)
    alt = t.say("charts.hours_alt", items="; ".join(
        t.say("charts.hours_item", title=h.title, hours=t.decimals(h.per_student or 0, 1),
              target=t.number(h.target)) for h in rows))
    return fig, alt


BUILDERS: dict[str, Callable[[ProgramReport, ReportText], tuple[Figure, str] | None]] = {
    "funnel": _funnel,
    "attendance": _attendance,
    "feedback": _feedback,
    "equity": _equity,
    "partners": _partners,
    "assignments": _assignments,
    "hours": _hours,
}

_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


def _inline_svg(raw: str, prefix: str) -> str:
    """SVG markup to embed in HTML: no XML prolog, ids unique to this chart."""
    svg = raw[raw.index("<svg"):]
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def render(fig: Figure, name: str, alt: str) -> Chart:
    """Both renderings of one figure."""
    with rc_context(_RC):
        fig.tight_layout()
        svg = io.StringIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return Chart(name, _inline_svg(svg.getvalue(), f"chart-{name}"), png.getvalue(), alt)


def render_charts(report: ProgramReport, text: ReportText | None = None) -> dict[str, Chart]:
    """Every chart that has data, by section id, labelled in ``text``'s language (English when None)."""
    charts = {}
    for name, build in BUILDERS.items():
        with rc_context(_RC):
            built = build(report, text or english())
        if built is not None:
            fig, alt = built
            charts[name] = render(fig, name, alt)
    return charts
