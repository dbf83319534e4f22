"""Charts drawn from plain values (no database) and from the demo claims."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest

from claims.models import Claim, ClaimStatus
from claims.reports import charts
from claims.selectors import claims as selectors
from tests.claims.demo_data import demo  # noqa: F401 (a fixture)

SVG = "{http://www.w3.org/2000/svg}"


def bar(key, low, high, *, published=datetime.date(2016, 1, 1), outlet="Reuters", **extra):
    values = {"low_inclusive": True, "high_inclusive": True, "status": "unreviewed"}
    values.update(extra)
    return charts.Bar(
        key=key, label=key, low=low, high=high, published=published, outlet=outlet, **values
    )


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 - our own charts, not untrusted input
    return ["".join(node.itertext()).strip() for node in root.iter(f"{SVG}text")]


def fighters_chart(*bars) -> str:
    return charts.value_interval_svg(
        chart_id="fighters",
        title="Battle of Sirte: fighters who escaped",
        value_label="fighters who escaped (fighters)",
        bars=bars,
        dates=False,
    )


def test_value_chart_is_an_svg_element_with_axis_labels_title_and_legend_as_text():
    svg = fighters_chart(bar("at least 400", 400.0, None), bar("fewer than 100", 0.0, 100.0))

    assert svg.startswith("<svg ") and not svg.startswith("<?xml")
    words = texts(svg)
    assert "fighters who escaped (fighters)" in words
    assert "source published" in words
    assert "Battle of Sirte: fighters who escaped" in words
    assert {"at least 400", "fewer than 100", "Reuters", "status: unreviewed"} <= set(words)
    assert {"end included", "end excluded", "no bound"} <= set(words)


def test_value_chart_draws_an_open_end_hollow_and_a_missing_bound_as_an_arrow():
    closed = fighters_chart(bar("a", 0.0, 100.0), bar("b", 200.0, 300.0))
    open_end = fighters_chart(bar("a", 0.0, 100.0, high_inclusive=False), bar("b", 200.0, 300.0))
    unbounded = fighters_chart(bar("a", 0.0, None), bar("b", 200.0, 300.0))

    def hollow_dots(svg):  # end markers filled white with a coloured edge
        return len(re.findall(r"fill: #ffffff; stroke: #7f7f7f", svg))

    assert hollow_dots(open_end) == hollow_dots(closed) + 1
    assert "no bound" in texts(unbounded)
    assert unbounded != closed


def test_value_chart_colours_bars_by_claim_status_and_lists_each_outlet():
    svg = fighters_chart(
        bar("a", 0.0, 100.0, status=ClaimStatus.VETTED, outlet="AFP"),
        bar("b", 400.0, None, status=ClaimStatus.REFUTED, outlet=""),
    )

    assert charts.STATUS_COLOURS[ClaimStatus.VETTED] in svg
    assert charts.STATUS_COLOURS[ClaimStatus.REFUTED] in svg
    assert {"status: vetted", "status: refuted", "AFP", "no outlet"} <= set(texts(svg))


def test_value_chart_says_how_many_claims_it_could_not_place_on_the_date_axis():
    svg = fighters_chart(bar("a", 0.0, 100.0), bar("b", 400.0, None, published=None))

    assert "1 claim without a dated source not shown" in texts(svg)


def test_two_charts_on_one_page_share_no_svg_ids():
    first = fighters_chart(bar("a", 0.0, 100.0), bar("b", 200.0, 300.0))
    second = charts.value_interval_svg(
        chart_id="other", title="t", value_label="v", bars=[bar("a", 0.0, 100.0)], dates=False
    )

    def ids(svg):
        return set(re.findall(r'id="([^"]+)"', svg))

    assert ids(first) and not ids(first) & ids(second)


def test_timeline_hatches_only_where_contradicting_claims_both_hold():
    spans = [
        charts.Span("is", "controlled by: IS", datetime.date(2014, 10, 1), None, "unreviewed"),
        charts.Span("shura", "controlled by: Shura", datetime.date(2015, 7, 1), None, "vetted"),
    ]
    overlap = charts.Conflict(("is", "shura"), datetime.date(2015, 7, 1), None)

    plain = charts.timeline_svg(chart_id="t", title="Derna", spans=spans, conflicts=[])
    hatched = charts.timeline_svg(chart_id="t", title="Derna", spans=spans, conflicts=[overlap])

    assert "valid time (when the claim holds)" in texts(plain)
    assert "controlled by: IS  (is)" in texts(plain)
    # Every hatched shape fills with the hatch pattern: the legend's key, then both bars.
    assert plain.count("fill: url(#t-h") == 1
    assert hatched.count("fill: url(#t-h") == 3


@pytest.mark.usefixtures("demo")
def test_demo_charts_show_the_fighters_who_escaped_and_who_held_derna():
    fighters = Claim.objects.get(key="sirte-escaped-400")
    claims = selectors.claims_about(
        subject_predicates=[(fighters.subject_id, fighters.predicate_id)]
    )

    svg = charts.value_chart_for(claims, chart_id="sirte", highlight=fighters.pk)

    words = texts(svg)
    assert "number of Islamic State fighters who escaped (fighters)" in words
    assert {"fewer than 100", "about 500", "Libyan Gazette"} <= set(words)
    assert "at least 400  (sirte-escaped-400)" in words  # the claim whose page this is

    derna = Claim.objects.get(key="derna-shura-july-2015").subject_id
    timeline_claims = selectors.time_varying_claims_about(subject_ids=[derna])
    flags = selectors.contradictions_among(claim_ids=[c.pk for c in timeline_claims])
    timeline = charts.timeline_for(timeline_claims, flags, chart_id="derna")
    assert "Derna: claims over time" in texts(timeline)
    assert "controlled by: not Islamic State  (derna-is-lost)" in texts(timeline)
    assert "<pattern" in timeline and len(flags) == 2


@pytest.mark.usefixtures("demo")
def test_no_value_chart_for_a_single_claim_or_for_entity_values():
    single = Claim.objects.get(key="sirte-population-80000")
    derna = Claim.objects.filter(subject__key="derna", predicate__key="controlled-by")

    assert charts.value_chart_for([single], chart_id="x") is None
    assert charts.value_chart_for(list(derna), chart_id="x") is None
