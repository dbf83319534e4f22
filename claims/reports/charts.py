"""Charts of claims, drawn on the server as SVG: no JavaScript, nothing fetched by the browser.

- `value_interval_svg`: every claim about one subject and predicate as a bar along the value
  axis (a quantity in the predicate's unit, or a date), at the publication date of each source
  that carried it, coloured by the claim's review status and marked by the source's outlet.
  Closed ends are filled dots, open ends hollow ones, and an end with no bound runs to the
  edge as an arrow: "at least 400" against "fewer than 100" is two bars that do not meet.
- `timeline_svg`: a subject's time-varying claims as bars along the time they hold (who
  controlled Derna when), with the stretches where two contradicting claims overlap hatched.

The core takes plain values (`Bar`, `Span`, `Conflict`) and needs no database; the `*_for_*`
helpers turn loaded claims into them. matplotlib's `Figure` is used directly, never pyplot,
which keeps every figure alive in a long-running process. Text stays text in the SVG
(`svg.fonttype: none`), drawn in the reader's default sans-serif font, so labels stay sharp,
searchable and small. Names are text, never markup: matplotlib would read `$...$` in an
outlet's or a predicate's name as math (a `$x_$` raises), so every chart is drawn with math
text and TeX off (`TEXT_AS_WRITTEN`).
"""

import datetime
import functools
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import matplotlib
from django.core.cache import cache
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from claims.core import display
from claims.models import Claim, ClaimStatus, Contradiction, ValueType
from claims.services.supersessions import as_of

# Okabe-Ito colours: told apart by readers with the common colour-vision deficiencies.
STATUS_COLOURS = {
    ClaimStatus.UNREVIEWED: "#7f7f7f",
    ClaimStatus.UNDER_REVIEW: "#0072b2",
    ClaimStatus.VETTED: "#009e73",
    ClaimStatus.DISPUTED: "#e69f00",
    ClaimStatus.REFUTED: "#d55e00",
    ClaimStatus.RETRACTED: "#cc79a7",
}
OTHER_STATUS_COLOUR = "#000000"
OUTLET_MARKERS = ("o", "s", "^", "D", "v", "P", "*", "h", "p", "H", "d", "8")
NO_OUTLET_MARKER = "X"
NO_OUTLET = "no outlet"
CONFLICT_COLOUR = "#d55e00"
FONT_SIZE = 9
WIDTH_INCHES = 8.0
# Every text object reads these when it is made (tick labels even while the figure is saved):
# labels are drawn as written, dollar signs and backslashes included.
TEXT_AS_WRITTEN = {"text.parse_math": False, "text.usetex": False}

Value = float | datetime.date


@dataclass(frozen=True)
class Bar:
    """One claim as one source carried it. A None end has no bound."""

    key: str
    label: str  # the value as people read it: "at least 400"
    low: Value | None
    high: Value | None
    low_inclusive: bool
    high_inclusive: bool
    published: datetime.date | None
    status: str
    outlet: str  # "" when the source has no outlet
    negated: bool = False
    highlighted: bool = False  # the claim whose page shows the chart


@dataclass(frozen=True)
class Span:
    """One time-varying claim along the time it holds. A None end has no bound."""

    key: str
    row: str  # "controlled by: Islamic State"
    start: datetime.date | None
    end: datetime.date | None  # the last day it holds
    status: str
    highlighted: bool = False


@dataclass(frozen=True)
class Conflict:
    """Two contradicting claims of a timeline (by key) and the stretch where both hold."""

    keys: tuple[str, str]
    start: datetime.date | None
    end: datetime.date | None


# --- drawing -----------------------------------------------------------------------------------


def _status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, OTHER_STATUS_COLOUR)


def _new_figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH_INCHES, height), layout="constrained")
    return figure


def _svg(figure: Figure, *, chart_id: str, title: str) -> str:
    """The figure as an inline <svg> element: no XML prolog, text kept as text, ids made
    unique to this chart (two charts on one page must not share clip-path ids), a <title>."""
    buffer = io.StringIO()
    rc = {"svg.fonttype": "none", "svg.hashsalt": chart_id, **TEXT_AS_WRITTEN}
    with matplotlib.rc_context(rc):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # matplotlib names its clip paths and markers after a hash of their shape: the same shape in
    # two charts would get the same id on one page. Prefix every id and reference to it.
    prefix = re.sub(r"[^a-zA-Z0-9_-]", "-", chart_id)
    svg = re.sub(r'id="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{prefix}-\1"', svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _as_number(value: Value) -> float:
    if isinstance(value, datetime.date):
        return float(mdates.date2num(value))
    return float(value)


def _limits(numbers: Sequence[float], *, floor_zero: bool) -> tuple[float, float]:
    """Axis limits around the finite ends, with room for the arrows of unbounded ones."""
    low, high = min(numbers), max(numbers)
    span = high - low
    if span == 0:
        span = abs(high) or 1.0
    pad = span * 0.15
    low, high = low - pad, high + pad
    if floor_zero and min(numbers) >= 0:
        low = max(low, -span * 0.03)  # counts start at zero: do not show negative room
    return low, high


def _outlet_markers(outlets: Iterable[str]) -> dict[str, str]:
    named = sorted({outlet for outlet in outlets if outlet})
    markers = {outlet: OUTLET_MARKERS[i % len(OUTLET_MARKERS)] for i, outlet in enumerate(named)}
    markers[""] = NO_OUTLET_MARKER
    return markers


# Drawing a chart takes matplotlib 100-400 ms; the same data always draws the same SVG. So a
# chart is kept in the cache under a digest of everything it is drawn from (the arguments:
# plain frozen dataclasses and strings), and any change to a claim, source, outlet or flag that
# shows in it makes a new key. CHART_CACHE_VERSION changes when the drawing code does.
CHART_CACHE_VERSION = 1
CHART_CACHE_SECONDS = 7 * 24 * 3600


def cached_chart(draw):
    @functools.wraps(draw)
    def cached(**arguments) -> str:
        digest = hashlib.sha256(
            repr((draw.__name__, sorted(arguments.items()))).encode("utf-8")
        ).hexdigest()
        key = f"chart:{CHART_CACHE_VERSION}:{digest}"
        svg = cache.get(key)
        if svg is None:
            svg = draw(**arguments)
            cache.set(key, svg, CHART_CACHE_SECONDS)
        return svg

    cached.uncached = draw
    return cached


def _text_as_written(draw):
    """Draw the chart with names read as plain text (see TEXT_AS_WRITTEN)."""

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with matplotlib.rc_context(TEXT_AS_WRITTEN):
            return draw(*args, **kwargs)

    return drawn


@cached_chart
@_text_as_written
def value_interval_svg(
    *,
    chart_id: str,
    title: str,
    value_label: str,
    bars: Sequence[Bar],
    dates: bool,
    left_out: int = 0,
) -> str:
    """Bars along the value axis (x), at their sources' publication dates (y). `dates`: the
    values are dates, else numbers in the unit named in `value_label`. `left_out`: later reports
    of the claims not drawn (see BARS_PER_CLAIM), said under the chart."""
    dated = [bar for bar in bars if bar.published is not None]
    undated = len(bars) - len(dated)
    rows = _dodge(dated)
    height = 2.2 + 0.32 * max(len(rows), 2)
    figure = _new_figure(height)
    axes = figure.add_subplot()
    ends = [_as_number(v) for bar in dated for v in (bar.low, bar.high) if v is not None]
    if not ends:  # nothing bounded at all: draw a unit range so the arrows have somewhere to go
        ends = [0.0, 1.0]
    x_low, x_high = _limits(ends, floor_zero=not dates)
    axes.set_xlim(x_low, x_high)

    markers = _outlet_markers(bar.outlet for bar in dated)
    y_values = [y for y, _ in rows]
    for y, bar in rows:
        colour = _status_colour(bar.status)
        low = x_low if bar.low is None else _as_number(bar.low)
        high = x_high if bar.high is None else _as_number(bar.high)
        width = 2.5 if bar.highlighted else 1.6
        style = (0, (3, 2)) if bar.negated else "solid"
        axes.hlines(y, low, high, colors=colour, linewidth=width * 2.2, linestyles=style)
        for end, value, inclusive, arrow in (
            ("low", bar.low, bar.low_inclusive, "<"),
            ("high", bar.high, bar.high_inclusive, ">"),
        ):
            at = low if end == "low" else high
            if value is None:
                axes.plot(at, y, marker=arrow, color=colour, markersize=9, clip_on=False)
            else:
                face = colour if inclusive else "white"
                axes.plot(
                    at, y, marker="o", markersize=6.5, markerfacecolor=face,
                    markeredgecolor=colour, markeredgewidth=1.6, zorder=3,
                )  # fmt: skip
        middle = (low + high) / 2
        axes.plot(
            middle, y, marker=markers[bar.outlet], markersize=8, color="white",
            markeredgecolor="#222222", markeredgewidth=1.1, zorder=4,
        )  # fmt: skip
        label = f"not {bar.label}" if bar.negated else bar.label
        axes.annotate(
            f"{label}  ({bar.key})" if bar.highlighted else label,
            (middle, y), xytext=(0, 7), textcoords="offset points", ha="center", va="bottom",
            fontsize=FONT_SIZE - 1, fontweight="bold" if bar.highlighted else "normal",
            color="#222222", annotation_clip=False,
        )  # fmt: skip

    axes.set_xlabel(value_label, fontsize=FONT_SIZE)
    axes.set_ylabel("source published", fontsize=FONT_SIZE)
    axes.set_title(title, fontsize=FONT_SIZE + 1, loc="left")
    axes.tick_params(labelsize=FONT_SIZE - 1)
    axes.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    axes.set_axisbelow(True)
    if dates:
        _date_axis(axes.xaxis)
    if y_values:
        y_pad = max((max(y_values) - min(y_values)) * 0.12, 20.0)
        axes.set_ylim(min(y_values) - y_pad, max(y_values) + y_pad * 1.6)
    # Plain dates on the y axis: a concise formatter's offset ("2015-Aug") would sit on the title.
    long_span = len(y_values) > 1 and max(y_values) - min(y_values) > 3 * 365
    axes.yaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    axes.yaxis.set_major_formatter(mdates.DateFormatter("%Y" if long_span else "%Y-%m-%d"))

    handles = _status_handles({bar.status for bar in dated})
    handles += [
        Line2D([], [], linestyle="", marker=markers[outlet], color="white",
               markeredgecolor="#222222", markersize=7, label=outlet or NO_OUTLET)
        for outlet in sorted({bar.outlet for bar in dated}, key=lambda o: (o == "", o))
    ]  # fmt: skip
    handles += _end_handles()
    if any(bar.negated for bar in dated):
        handles.append(Line2D([], [], color="#555555", linestyle=(0, (3, 2)), label="negated"))
    figure.legend(
        handles=handles, loc="outside lower center", ncols=3, fontsize=FONT_SIZE - 1,
        frameon=False,
    )  # fmt: skip
    notes = []
    if undated:
        notes.append(
            f"{undated} claim{'s' if undated != 1 else ''} without a dated source not shown"
        )
    if left_out:
        notes.append(
            f"{left_out} later report{'s' if left_out != 1 else ''} of the same claims not drawn "
            f"(the first {BARS_PER_CLAIM} of each claim are)"
        )
    if notes:
        figure.text(0.01, 0.005, "; ".join(notes), fontsize=FONT_SIZE - 2, color="#555555")
    return _svg(figure, chart_id=chart_id, title=title)


def _dodge(bars: Sequence[Bar]) -> list[tuple[float, Bar]]:
    """Each bar at its publication date (as a date number), bars of one date moved apart so
    that they do not overlap: the axis is read in days, the offsets are a small share of it."""
    numbers = [mdates.date2num(bar.published) for bar in bars]
    spread = (max(numbers) - min(numbers)) if numbers else 0
    step = max(spread * 0.05, 12.0)
    seen: dict[float, int] = defaultdict(int)
    rows = []
    for number, bar in sorted(zip(numbers, bars, strict=True), key=lambda r: (r[0], r[1].key)):
        rows.append((number + seen[number] * step, bar))
        seen[number] += 1
    return rows


def _date_axis(axis) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _status_handles(statuses: Iterable[str]) -> list:
    order = {status: i for i, status in enumerate(ClaimStatus.values)}
    return [
        Patch(color=_status_colour(status), label=f"status: {ClaimStatus(status).label.lower()}"
              if status in order else f"status: {status}")
        for status in sorted(statuses, key=lambda s: order.get(s, len(order)))
    ]  # fmt: skip


def _end_handles() -> list:
    return [
        Line2D([], [], linestyle="", marker="o", color="#555555", markersize=6,
               label="end included"),
        Line2D([], [], linestyle="", marker="o", markerfacecolor="white",
               markeredgecolor="#555555", markersize=6, label="end excluded"),
        Line2D([], [], linestyle="", marker=">", color="#555555", markersize=7,
               label="no bound"),
    ]  # fmt: skip


@cached_chart
@_text_as_written
def timeline_svg(
    *, chart_id: str, title: str, spans: Sequence[Span], conflicts: Sequence[Conflict]
) -> str:
    """One row per claim along the time it holds, its label above its bar; where two
    contradicting claims both hold, both bars are hatched and joined by a line."""
    rows = list(spans)
    height = 1.6 + 0.55 * max(len(rows), 2)
    figure = _new_figure(height)
    axes = figure.add_subplot()
    ends = [mdates.date2num(d) for span in rows for d in (span.start, span.end) if d is not None]
    if not ends:
        ends = [mdates.date2num(datetime.date.today())]  # noqa: DTZ011 - a placeholder axis
    x_low, x_high = _limits(ends, floor_zero=False)
    x_low, x_high = min(x_low, min(ends) - 30), max(x_high, max(ends) + 30)
    axes.set_xlim(x_low, x_high)
    # A claim holding for one day would be a hairline on an axis of years: draw it wider.
    min_width = (x_high - x_low) * 0.008
    y_of = {span.key: len(rows) - 1 - i for i, span in enumerate(rows)}

    def extent(start: datetime.date | None, end: datetime.date | None) -> tuple[float, float]:
        left = x_low if start is None else mdates.date2num(start)
        # The last day holds all day: the bar ends at the next midnight.
        right = x_high if end is None else mdates.date2num(end) + 1
        return left, max(right, left + min_width)

    for span in rows:
        y = y_of[span.key]
        colour = _status_colour(span.status)
        left, right = extent(span.start, span.end)
        axes.barh(
            y, right - left, left=left, height=0.34, color=colour, zorder=2,
            edgecolor="#222222" if span.highlighted else colour,
            linewidth=1.8 if span.highlighted else 0.5,
        )  # fmt: skip
        for bound, at, arrow in ((span.start, left, "<"), (span.end, right, ">")):
            if bound is None:
                axes.plot(at, y, marker=arrow, color=colour, markersize=9, clip_on=False, zorder=3)
        axes.annotate(
            f"{span.row}  ({span.key})", (x_low, y + 0.2), xytext=(3, 0),
            textcoords="offset points", va="bottom", ha="left", fontsize=FONT_SIZE - 1,
            fontweight="bold" if span.highlighted else "normal", color="#222222",
        )  # fmt: skip

    for conflict in conflicts:
        if not all(key in y_of for key in conflict.keys):
            continue
        left, right = extent(conflict.start, conflict.end)
        for key in conflict.keys:
            axes.add_patch(
                Rectangle(
                    (left, y_of[key] - 0.24), right - left, 0.48, facecolor="none",
                    hatch="////", edgecolor=CONFLICT_COLOUR, linewidth=1.2, zorder=4,
                )
            )  # fmt: skip
        ys = sorted(y_of[key] for key in conflict.keys)
        axes.plot(
            [left, left], [ys[0] + 0.24, ys[1] - 0.24], color=CONFLICT_COLOUR, linewidth=1.2,
            linestyle=(0, (2, 2)), zorder=4,
        )  # fmt: skip

    axes.set_yticks([])
    axes.set_ylim(-0.6, len(rows) - 0.2)
    axes.set_xlabel("valid time (when the claim holds)", fontsize=FONT_SIZE)
    axes.set_title(title, fontsize=FONT_SIZE + 1, loc="left")
    axes.tick_params(axis="x", labelsize=FONT_SIZE - 1)
    axes.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    axes.set_axisbelow(True)
    _date_axis(axes.xaxis)
    handles = _status_handles({span.status for span in rows})
    handles.append(
        Patch(facecolor="none", hatch="////", edgecolor=CONFLICT_COLOUR,
              label="contradicting claims both hold")
    )  # fmt: skip
    handles.append(
        Line2D([], [], linestyle="", marker=">", color="#555555", markersize=7, label="no end")
    )
    figure.legend(
        handles=handles, loc="outside lower center", ncols=3, fontsize=FONT_SIZE - 1,
        frameon=False,
    )  # fmt: skip
    return _svg(figure, chart_id=chart_id, title=title)


@dataclass(frozen=True)
class Count:
    """One claim of a cumulative count: its interval (a None end has no bound) as of a day."""

    key: str
    label: str  # "at least 63"
    as_of: datetime.date
    low: float | None
    high: float | None
    superseded: bool


CURRENT_COLOUR = "#0072b2"
SUPERSEDED_COLOUR = "#9a9a9a"
UPDATE_COLOUR = "#009e73"


def count_over_time_svg(
    *,
    chart_id: str,
    title: str,
    value_label: str,
    counts: Sequence[Count],
    updates: Sequence[tuple[str, str]],
) -> str:
    """A cumulative count as reported over time: each claim an upright interval at the day it
    counts as of (superseded ones grey), and each update (newer key, older key) a rising line
    from the older interval's lower end to the newer one's."""
    figure = _new_figure(3.6)
    axes = figure.add_subplot()
    numbers = [v for c in counts for v in (c.low, c.high) if v is not None] or [0.0, 1.0]
    y_low, y_high = _limits(numbers, floor_zero=True)
    axes.set_ylim(y_low, y_high)
    # Counts of one day are moved apart a little, so that neither hides the other.
    seen: dict[datetime.date, int] = defaultdict(int)
    days = []
    for count in counts:
        days.append(mdates.date2num(count.as_of) + 0.18 * seen[count.as_of])
        seen[count.as_of] += 1
    x_low, x_high = _limits(days, floor_zero=False)
    axes.set_xlim(min(x_low, min(days) - 1), max(x_high, max(days) + 1))
    by_key = {}
    for count, day in zip(counts, days, strict=True):
        colour = SUPERSEDED_COLOUR if count.superseded else CURRENT_COLOUR
        low = y_low if count.low is None else count.low
        high = y_high if count.high is None else count.high
        axes.vlines(day, low, high, colors=colour, linewidth=4, zorder=2)
        for end in (count.low, count.high):
            if end is not None:  # an exact figure is a dot
                axes.plot(day, end, marker="o", color=colour, markersize=6, zorder=3)
        if count.high is None:
            axes.plot(day, high, marker="^", color=colour, markersize=9, clip_on=False, zorder=3)
        axes.annotate(
            count.label, (day, low), xytext=(5, 0), textcoords="offset points", va="center",
            fontsize=FONT_SIZE - 1, color="#222222", annotation_clip=False,
        )  # fmt: skip
        by_key[count.key] = (day, low)
    for newer, older in updates:
        if newer in by_key and older in by_key:
            (x1, y1), (x0, y0) = by_key[newer], by_key[older]
            axes.plot([x0, x1], [y0, y1], color=UPDATE_COLOUR, linewidth=1.4, marker="o",
                      markersize=4, zorder=4)  # fmt: skip
    axes.set_ylabel(value_label, fontsize=FONT_SIZE)
    axes.set_xlabel("counted as of", fontsize=FONT_SIZE)
    axes.set_title(title, fontsize=FONT_SIZE + 1, loc="left")
    axes.tick_params(labelsize=FONT_SIZE - 1)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    axes.set_axisbelow(True)
    _date_axis(axes.xaxis)
    handles = [
        Patch(color=CURRENT_COLOUR, label="current"),
        Patch(color=SUPERSEDED_COLOUR, label="superseded"),
        Line2D([], [], color=UPDATE_COLOUR, marker="o", markersize=4, label="updated by"),
        Line2D([], [], linestyle="", marker="^", color="#555555", markersize=7, label="no bound"),
    ]
    figure.legend(
        handles=handles, loc="outside lower center", ncols=4, fontsize=FONT_SIZE - 1,
        frameon=False,
    )  # fmt: skip
    return _svg(figure, chart_id=chart_id, title=title)


# --- from claims -------------------------------------------------------------------------------

CHARTED_VALUE_TYPES = (ValueType.QUANTITY, ValueType.DATE)


# Bars drawn for one claim at most: a claim carried by thousands of sources would otherwise be
# thousands of bars (10,000 made a claim's page take 100 s). Its earliest reports are drawn, and
# the chart says how many more were left out.
BARS_PER_CLAIM = 20


def bars_for_claims(
    claims: Iterable[Claim], *, highlight: int | None = None, per_claim: int | None = None
) -> tuple[list[Bar], int]:
    """One bar per appearance of each claim (appearances loaded), one per claim without any; at
    most `per_claim` bars of one claim, the earliest published first. Returns the bars and how
    many were left out."""
    bars: list[Bar] = []
    left_out = 0
    for claim in claims:
        if claim.value_type == ValueType.QUANTITY:
            low, high = claim.quantity_low, claim.quantity_high
            low_inclusive, high_inclusive = (
                claim.quantity_low_inclusive,
                claim.quantity_high_inclusive,
            )
        elif claim.value_type == ValueType.DATE:
            # Date intervals are whole days, both ends inclusive; the bar covers the last day.
            low = claim.date_from
            high = claim.date_to + datetime.timedelta(days=1) if claim.date_to else None
            low_inclusive, high_inclusive = True, True
        else:
            continue
        label = display.value_text(claim, style="plain", with_negation=False) or ""
        seen = set()
        claim_bars = []
        for appearance in claim.appearances.all() or [None]:
            source = appearance.source if appearance else None
            published = source.published if source else None
            outlet = source.outlet.name if source and source.outlet else ""
            if (published, outlet) in seen:  # the same claim twice in one outlet on one day
                continue
            seen.add((published, outlet))
            claim_bars.append(
                Bar(
                    key=claim.key, label=label, low=low, high=high, low_inclusive=low_inclusive,
                    high_inclusive=high_inclusive, published=published, status=claim.status,
                    outlet=outlet, negated=claim.negated, highlighted=claim.pk == highlight,
                )
            )  # fmt: skip
        if per_claim is not None and len(claim_bars) > per_claim:
            claim_bars.sort(key=lambda bar: (bar.published is None, bar.published or 0))
            left_out += len(claim_bars) - per_claim
            claim_bars = claim_bars[:per_claim]
        bars.extend(claim_bars)
    return bars, left_out


def value_chart_for(
    claims: Sequence[Claim], *, chart_id: str, highlight: int | None = None
) -> str | None:
    """The value chart of one subject and predicate's claims, or None when there is nothing to
    compare (fewer than two claims, or values that are not quantities or dates)."""
    charted = [claim for claim in claims if claim.value_type in CHARTED_VALUE_TYPES]
    if len(charted) < 2:
        return None
    first = charted[0]
    predicate = first.predicate
    dates = first.value_type == ValueType.DATE
    if dates:
        value_label = predicate.name
    else:
        value_label = (
            f"{predicate.name} ({predicate.unit or first.quantity_given_unit or 'no unit'})"
        )
    title = f"{first.subject.name}: {predicate.name}"
    bars, left_out = bars_for_claims(charted, highlight=highlight, per_claim=BARS_PER_CLAIM)
    return value_interval_svg(
        chart_id=chart_id, title=title, value_label=value_label, bars=bars, dates=dates,
        left_out=left_out,
    )  # fmt: skip


def timeline_for(
    claims: Sequence[Claim],
    flags: Iterable[Contradiction],
    *,
    chart_id: str,
    highlight: int | None = None,
) -> str | None:
    """The timeline of one subject's time-varying claims, or None with fewer than two. Conflicts
    are the given flags between two of the claims, over the stretch where both hold."""
    if len(claims) < 2:
        return None
    by_id = {claim.pk: claim for claim in claims}
    spans = [
        Span(
            key=claim.key,
            row=f"{claim.predicate.name}: {display.value_text(claim, style='plain')}",
            start=claim.holds_from,
            end=claim.holds_to,
            status=claim.status,
            highlighted=claim.pk == highlight,
        )
        for claim in claims
    ]
    conflicts = []
    for flag in flags:
        a, b = by_id.get(flag.claim_a_id), by_id.get(flag.claim_b_id)
        if a is None or b is None:
            continue
        conflicts.append(
            Conflict(
                keys=(a.key, b.key),
                start=_later(a.holds_from, b.holds_from),
                end=_earlier(a.holds_to, b.holds_to),
            )
        )
    title = f"{claims[0].subject.name}: claims over time"
    return timeline_svg(chart_id=chart_id, title=title, spans=spans, conflicts=conflicts)


def _later(a: datetime.date | None, b: datetime.date | None) -> datetime.date | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: datetime.date | None, b: datetime.date | None) -> datetime.date | None:
    return b if a is None else a if b is None else min(a, b)


def count_chart_for(
    claims: Sequence[Claim],
    superseded: Collection[int],
    updates: Iterable[tuple[int, int]],
    *,
    chart_id: str,
) -> str | None:
    """The count-over-time chart of one subject's claims of a cumulative predicate (values
    loaded), or None with fewer than two dated ones. `superseded`: ids of the claims an active
    supersession replaces; `updates`: (newer id, older id) of the active updates among them."""
    counts, keys = [], {}
    for claim in claims:
        if claim.value_type != ValueType.QUANTITY or claim.negated:
            continue
        _start, end = as_of(
            {
                "valid_to": claim.valid_to,
                "valid_to_precision": claim.valid_to_precision,
                "holds_from": claim.holds_from,
                "holds_to": claim.holds_to,
            }
        )
        if end is None:
            continue  # counted as of no known day: nowhere on the time axis
        keys[claim.pk] = claim.key
        counts.append(
            Count(
                key=claim.key,
                label=display.value_text(claim, style="plain", with_negation=False) or "",
                as_of=end,
                low=claim.quantity_low,
                high=claim.quantity_high,
                superseded=claim.pk in superseded,
            )
        )
    if len(counts) < 2:
        return None
    first = claims[0]
    unit = first.predicate.unit or first.quantity_given_unit or "no unit"
    return count_over_time_svg(
        chart_id=chart_id,
        title=f"{first.subject.name}: {first.predicate.name}, as counted over time",
        value_label=f"{first.predicate.name} ({unit})",
        counts=sorted(counts, key=lambda c: (c.as_of, c.key)),
        updates=[(keys[n], keys[o]) for n, o in updates if n in keys and o in keys],
    )
