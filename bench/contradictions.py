"""Contradiction detection benchmark: the incremental check and the full scan against baselines.

Generates N synthetic claims (default 100,000): subjects drawn from a Zipf distribution (the
hottest few, "Sirte", "Islamic State", hold several percent of all claims each, so one subject
and predicate can hold over 10,000 claims at N = 1,000,000), quantity, date and entity values of
ten predicates (some functional, some time-varying), ~10% text-only claims reporting events in
templated wordings, and planted contradictions: outliers in small blocks and a few in hot ones,
plus near-identical wordings that differ in a number or a negation. Claims that are not planted
agree (their intervals share the block's true value), so the pairs to find are known.

It loads them with COPY (tracker.bulk.insert_rows) and measures, in one run:

- the full scan (`manage.py detect_contradictions`, in a subprocess so that its peak memory can
  be read), against an all-pairs comparison of every structured claim with every other one,
  time-boxed (--allpairs-seconds) and extrapolated from its rate; at --verify-n claims (a
  smaller dataset made in the same run) the all-pairs comparison runs to the end and must find
  exactly the structured pairs the scan stored;
- the candidates the scan compared, against the N(N-1)/2 pairs of all-pairs;
- the incremental check `claims_check` of 200 new claims inserted one at a time (median and
  99th percentile), against loading every structured claim and comparing in a Python loop.

Run from the project root:

    .venv/bin/python bench/contradictions.py [--n 100000] [--verify-n 20000] \
        [--database-url postgres://postgres@127.0.0.1:5432/tracker_bench_contra]

The database (default: DATABASE_URL, else the URL above) is created if missing and migrated;
its claims, entities and predicates are truncated before each dataset. --n 1000000 takes about
a quarter of an hour on 2 cores, most of it loading.
"""

import argparse
import dataclasses
import datetime
import gc
import itertools
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench_contra"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="claims to generate")
    parser.add_argument(
        "--verify-n",
        type=int,
        default=20_000,
        help="claims of the dataset on which all-pairs runs to the end and must agree",
    )
    parser.add_argument("--skip-verify", action="store_true", help="no --verify-n dataset")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--vocabulary",
        choices=("adversarial", "heaps"),
        default="adversarial",
        help="names in text-only wordings: a fixed pool of 8,000 (adversarial: every name and "
        "pair of names grows more common with N) or a pool that grows with the corpus as "
        "Heaps' law has it, V = K * tokens**beta (heaps)",
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--allpairs-seconds", type=float, default=60.0, help="time box of the all-pairs baseline"
    )
    parser.add_argument("--new-claims", type=int, default=200, help="claims checked one by one")
    parser.add_argument(
        "--baseline-claims",
        type=int,
        default=3,
        help="new claims checked by the load-everything baseline",
    )
    _add_worker_options(parser)
    return parser


# --- options of the scan on Celery workers and the check alone (see "The scan on workers") ------


TEXT_SHARE_DEFAULT = 0.10  # TEXT_SHARE below, which --text-share overrides


def _add_worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        default="",
        help="also run the full scan through `celery worker` subprocesses, once per count in "
        "this comma-separated list (1,2: one worker process, then two; concurrency 1 each), "
        "and report the speed-up",
    )
    parser.add_argument(
        "--broker-url",
        default="redis://127.0.0.1:6379/9",
        help="Redis database the workers use as their broker (emptied before and after)",
    )
    parser.add_argument(
        "--only",
        choices=("workers", "incremental"),
        help="load the --n dataset, then measure only the scan on --workers, or only the "
        "incremental check (no in-process scan, all-pairs or verification dataset)",
    )
    parser.add_argument(
        "--text-share",
        type=float,
        help=f"share of text-only claims in the dataset (default {TEXT_SHARE_DEFAULT}); 0 "
        "measures the structured part of the scan alone",
    )


OPTS = _parser().parse_args() if __name__ == "__main__" else _parser().parse_args([])

sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = OPTS.database_url
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
# Measured as production runs: DEBUG off, so that no query is kept in connection.queries.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-contradictions-only")


def ensure_database(url: str) -> None:
    """Create the database named by url if it does not exist (connecting to `postgres`)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return
    name = unquote(parts.path.lstrip("/"))
    with psycopg.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password) if parts.password else None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


if __name__ == "__main__":
    ensure_database(OPTS.database_url)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.utils import timezone  # noqa: E402

import claims.core.contradictions as rules_module  # noqa: E402
from claims.core.contradictions import PredicateRules, block_conflicts, pair_conflict  # noqa: E402
from claims.core.text_compare import SetJoin, conflicting, from_digest, similarity  # noqa: E402
from claims.core.values import normalize_name  # noqa: E402
from claims.models import Claim, ClaimTerm, Contradiction, ContradictionScan, Predicate  # noqa: E402
from claims.services.detection import (  # noqa: E402
    FACT_COLUMNS,
    STRUCTURED_TYPES,
    WordingIndex,
    alias_matcher,
    claims_check,
    facts_of,
    is_structured,
    predicate_rules,
    wording_index,
)
from sources.models import Entity, EntityAlias  # noqa: E402
from tracker.bulk import gc_paused, insert_rows  # noqa: E402

# --- the synthetic world ------------------------------------------------------------------------

ZIPF_S = 1.0
TEXT_SHARE = 0.10
TWIN_SHARE = 0.02  # of text claims: a near-identical twin differing in a number or a negation
LOAD_BATCH = 50_000
MONTHS = (
    "January February March April May June July August September October November December"
).split()
N_MONTHS = 72  # 2014-01 to 2019-12

HOT_SUBJECTS = (
    "Sirte",
    "Islamic State",
    "Benghazi",
    "Derna",
    "Tripoli",
    "Misrata",
    "Ajdabiya",
    "Sabratha",
    "Bani Walid",
    "Ras Lanuf",
    "Zintan",
    "Tobruk",
)
NAMED_GROUPS = (
    "Libyan National Army",
    "Government of National Accord",
    "Libya Dawn",
    "Ansar al-Sharia",
    "Al-Bunyan al-Marsous",
    "Petroleum Facilities Guard",
    "Benghazi Defence Brigades",
    "Rada Special Deterrence Force",
    "Tripoli Revolutionaries Brigade",
    "Misrata Brigades",
    "Zintan Brigades",
)
ALIASES = {
    "Islamic State": ("IS", "ISIS", "ISIL", "Daesh"),
    "Libyan National Army": ("LNA",),
    "Government of National Accord": ("GNA",),
}
N_GROUPS = 46
N_LOCATIONS = 30
SYLLABLES = "ka ra zu mi ta bel dar sha nu qa li wa ham far jo sen tur gha bu lo".split()


def synthetic_name(i: int) -> str:
    """A made-up name, one per i below 20**4: "Karazumi"."""
    parts = []
    for _ in range(4):
        i, r = divmod(i, len(SYLLABLES))
        parts.append(SYLLABLES[r])
    return "".join(parts).capitalize()


@dataclass(frozen=True)
class PredicateSpec:
    key: str
    name: str
    value_type: str
    unit: str
    functional: bool
    time_varying: bool
    weight: int
    # The wording of a claim: {subject}, {value} (quantity or entity), {when} (a date phrase).
    wording: str
    denied: str


# fmt: off
PREDICATES = tuple(PredicateSpec(*row) for row in (
    # key, name, value type, unit, functional, time-varying, weight, wording, denied wording
    ("fighters", "number of fighters defending", "quantity", "fighters", False, False, 26,
     "{subject} was defended by {value} fighters",
     "{subject} was not defended by {value} fighters"),
    ("killed", "number of people killed", "quantity", "", False, False, 10,
     "{value} people were killed in fighting in {subject}",
     "It is not true that {value} people were killed in fighting in {subject}"),
    ("front-distance", "distance of the front line", "quantity", "km", False, False, 6,
     "The front line ran {value} km from {subject}",
     "The front line did not run {value} km from {subject}"),
    ("stationed", "fighters stationed", "quantity", "fighters", False, True, 10,
     "{value} fighters were stationed in {subject} {when}",
     "It is not true that {value} fighters were stationed in {subject} {when}"),
    ("captured", "date of capture", "date", "", False, False, 8,
     "{subject} was captured {when}",
     "{subject} was not captured {when}"),
    ("attacked", "date of the attack", "date", "", False, False, 6,
     "{subject} came under attack {when}",
     "{subject} did not come under attack {when}"),
    ("controlled-by", "controlled by", "entity", "", True, True, 16,
     "{value} controlled {subject} {when}",
     "{value} did not control {subject} {when}"),
    ("responsible", "responsible for the attack", "entity", "", True, False, 6,
     "{value} carried out the attack on {subject}",
     "{value} did not carry out the attack on {subject}"),
    ("allied-with", "allied with", "entity", "", False, False, 6,
     "{subject} was allied with {value}",
     "{subject} was not allied with {value}"),
    ("led-by", "led by", "entity", "", True, True, 6,
     "{subject} was led by {value} {when}",
     "{subject} was not led by {value} {when}"),
))
# fmt: on

# Agreeing values: every interval holds the block's true value, so no two of them conflict.
QUANTITY_VARIANTS = (
    ("exact", 30),
    ("about", 25),
    ("at_least", 14),
    ("more_than", 5),
    ("fewer_than", 10),
    ("between", 13),
    ("not_fewer", 3),  # negated: "not fewer than x/2", which no agreeing value lies inside
)
DATE_VARIANTS = (("day", 35), ("month", 30), ("year", 15), ("between", 17), ("not_year_before", 3))
OUTLIER_KINDS = (("high", 3), ("low", 3), ("negation", 2), ("narrow", 2))

# Text-only claims report events as news sentences do: a few common words (a verb, a kind of
# place, what is counted: 23 each, drawn uniformly) around proper names (three a sentence, made
# up, drawn from a Zipf distribution over 8,000), so that most terms of a wording are rare and a
# few are common. Two reports of one event are near-identical; two events almost never are.
TEXT_VERBS = (
    "seize shell attack capture abandon bomb surround evacuate reinforce blockade raid secure "
    "destroy occupy defend storm loot mine patrol barricade burn fortify search"
).split()
TEXT_PAST = {"mine": "mined", "patrol": "patrolled", "fortify": "fortified"}
TEXT_LANDMARKS = (
    "port airport hospital university refinery checkpoint bank market barracks prison terminal "
    "bridge mosque stadium harbour station compound warehouse courthouse hotel factory school "
    "depot"
).split()
TEXT_NOUNS = (
    "fighters civilians soldiers guards militiamen policemen workers migrants volunteers recruits "
    "officers prisoners hostages residents engineers drivers doctors journalists tribesmen "
    "students detainees sailors refugees"
).split()
# Syllables of names in wordings, apart from those of entity names, so none is an entity's.
NAME_SYLLABLES = "vo ne pi ro sta gu le mo ki de tho ya zen ril pa ste fi gor ve lun".split()
N_NAMES = 8000
# Heaps' law for the realistic vocabulary: V = K * T**beta distinct names for T running words
# of text-only wordings (about WORDS_PER_WORDING each); K and beta within the ranges measured on
# English news text (K 10 to 100, beta 0.4 to 0.6).
HEAPS_K = 10
HEAPS_BETA = 0.6
WORDS_PER_WORDING = 16


def past_of(verb: str) -> str:
    if verb in TEXT_PAST:
        return TEXT_PAST[verb]
    return verb + ("d" if verb.endswith("e") else "ed")


def text_name(rank: int) -> str:
    """Three syllables for the first 8,000 names (the adversarial pool), four past them."""
    parts = []
    syllables = 3 if rank < N_NAMES else 4
    rank = rank if rank < N_NAMES else rank - N_NAMES
    for _ in range(syllables):
        rank, r = divmod(rank, len(NAME_SYLLABLES))
        parts.append(NAME_SYLLABLES[r])
    return "".join(parts).capitalize()


def name_count(n: int, vocabulary: str) -> int:
    """How many names text-only wordings draw from (Zipf) at N claims."""
    if vocabulary == "adversarial":
        return N_NAMES
    tokens = round(n * TEXT_SHARE) * WORDS_PER_WORDING
    return max(100, round(HEAPS_K * tokens**HEAPS_BETA))


def pick_name(rng: random.Random, cum_weights: list[float]) -> str:
    return text_name(rng.choices(range(len(cum_weights)), cum_weights=cum_weights)[0])


TEXT_PREFIXES = ("", "", "", "Reportedly, ", "Sources said ")


def month_first(m: int) -> datetime.date:
    return datetime.date(2014 + m // 12, m % 12 + 1, 1)


def month_last(m: int) -> datetime.date:
    return month_first(m + 1) - datetime.timedelta(days=1)


def say_day(day: datetime.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def say_month(m: int) -> str:
    first = month_first(m)
    return f"{MONTHS[first.month - 1]} {first.year}"


@dataclass
class World:
    seed: int
    subject_ids: list[int]
    subject_names: list[str]
    group_ids: list[int]
    group_names: list[str]
    location_ids: list[int]
    predicate_ids: list[int]
    cum_weights: list[float]  # Zipf over subjects
    group_cum_weights: list[float]  # texts name groups from a milder Zipf
    name_cum_weights: list[float]  # texts' names: Zipf over name_count(n, vocabulary)

    def name_of_group(self, entity_id: int) -> str:
        return self.group_names[self.group_ids.index(entity_id)]


@dataclass
class Block:
    """The claims of one subject and predicate, and the truth they agree on."""

    subject: int  # index into World.subject_ids
    predicate: int  # index into PREDICATES
    size: int
    value: object = None  # float, date, or entity id; for time-varying: see periods
    periods: list[tuple[int, int, object]] = field(default_factory=list)
    allies: tuple[int, ...] = ()
    locations: tuple[int, ...] = ()


def make_block(world: World, subject: int, predicate: int, size: int) -> Block:
    rng = random.Random(f"{world.seed}/block/{subject}/{predicate}")
    spec = PREDICATES[predicate]
    block = Block(subject, predicate, size, locations=tuple(rng.sample(world.location_ids, 2)))

    def truth(previous=None):
        if spec.value_type == "quantity":
            if spec.unit == "km":
                return float(rng.randrange(5, 300))
            while True:
                x = float(int(10 ** rng.uniform(1, 4.3)))
                if previous is None or abs(x - previous) > 0.6 * max(x, previous):
                    return x
        if spec.value_type == "date":
            return datetime.date(2015, 1, 1) + datetime.timedelta(days=rng.randrange(4 * 365))
        while True:
            entity = rng.choice(world.group_ids)
            if entity != previous:
                return entity

    if spec.time_varying:
        cuts = sorted(rng.sample(range(1, N_MONTHS), rng.randint(1, 5)))
        bounds = [0, *cuts, N_MONTHS]
        value = None
        for first, end in zip(bounds, bounds[1:], strict=False):
            value = truth(value)
            block.periods.append((first, end - 1, value))
    elif spec.key == "allied-with":
        block.allies = tuple(rng.sample(world.group_ids, 3))
    else:
        block.value = truth()
    return block


def quantity_columns(variant: str, x: float) -> tuple[dict, str, bool]:
    """The quantity columns, the phrase as written, and whether it is negated."""
    d = max(1.0, float(round(x / 10)))
    negated = False
    if variant == "exact":
        low, high, low_inc, high_inc, said = x, x, True, True, f"{x:.0f}"
    elif variant == "about":
        low, high, low_inc, high_inc, said = x - d, x + d, True, True, f"about {x:.0f}"
    elif variant == "at_least":
        a = float(round(0.8 * x))
        low, high, low_inc, high_inc, said = a, None, True, True, f"at least {a:.0f}"
    elif variant == "more_than":
        a = float(round(0.7 * x))
        low, high, low_inc, high_inc, said = a, None, False, True, f"more than {a:.0f}"
    elif variant == "fewer_than":
        b = float(round(1.3 * x) + 1)
        low, high, low_inc, high_inc, said = 0.0, b, True, False, f"fewer than {b:.0f}"
    elif variant == "between":
        a, b = float(round(0.75 * x)), float(round(1.25 * x))
        low, high, low_inc, high_inc, said = a, b, True, True, f"between {a:.0f} and {b:.0f}"
    elif variant == "not_fewer":
        c = max(1.0, float(round(0.5 * x)))
        low, high, low_inc, high_inc, said = 0.0, c, True, False, f"fewer than {c:.0f}"
        negated = True
    elif variant == "high":  # planted: disjoint from everything below x
        low, high, low_inc, high_inc, said = 3 * x, None, True, True, f"at least {3 * x:.0f}"
    elif variant == "low":  # planted: disjoint from everything above x/3
        b = max(1.0, float(round(0.3 * x)))
        low, high, low_inc, high_inc, said = 0.0, b, True, False, f"fewer than {b:.0f}"
    elif variant == "narrow":  # planted: conflicts with the exact and "about" values only
        a = x + 2 * d
        low, high, low_inc, high_inc, said = a, None, False, True, f"more than {a:.0f}"
    elif variant == "negation":  # planted: denies "about x", which the exact values lie inside
        low, high, low_inc, high_inc, said = x - d, x + d, True, True, f"about {x:.0f}"
        negated = True
    else:
        raise ValueError(variant)
    columns = {
        "quantity_low": low,
        "quantity_high": high,
        "quantity_low_inclusive": low_inc,
        "quantity_high_inclusive": high_inc,
        "quantity_given_low": low,
        "quantity_given_high": high,
    }
    return columns, said, negated


def date_columns(variant: str, day: datetime.date) -> tuple[dict, str, bool]:
    year = day.year
    negated = False

    def whole_year(y):
        return (datetime.date(y, 1, 1), "year", datetime.date(y, 12, 31), "year", f"in {y}")

    if variant == "day":
        spec = (day, "day", day, "day", f"on {say_day(day)}")
    elif variant == "month":
        m = (day.year - 2014) * 12 + day.month - 1
        spec = (month_first(m), "month", month_last(m), "month", f"in {say_month(m)}")
    elif variant == "year":
        spec = whole_year(year)
    elif variant == "between":
        a, b = day - datetime.timedelta(days=10), day + datetime.timedelta(days=5)
        spec = (a, "day", b, "day", f"between {say_day(a)} and {say_day(b)}")
    elif variant == "not_year_before":
        spec, negated = whole_year(year - 1), True
    elif variant in ("high", "low"):
        spec = whole_year(year + 2 if variant == "high" else year - 2)
    elif variant == "narrow":  # planted: a day 40 days on, inside the same year or not
        later = day + datetime.timedelta(days=40)
        spec = (later, "day", later, "day", f"on {say_day(later)}")
    elif variant == "negation":
        spec, negated = whole_year(year), True
    else:
        raise ValueError(variant)
    start, start_precision, end, end_precision, said = spec
    columns = {
        "date_from": start,
        "date_from_precision": start_precision,
        "date_to": end,
        "date_to_precision": end_precision,
    }
    return columns, said, negated


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def claim_row(world: World, block: Block, rng: random.Random, outlier: str | None) -> dict:
    """One claim of the block: agreeing unless `outlier` names a planted kind."""
    spec = PREDICATES[block.predicate]
    row = {
        "subject_id": world.subject_ids[block.subject],
        "predicate_id": world.predicate_ids[block.predicate],
        "value_type": spec.value_type,
    }
    value = block.value
    when = ""
    if spec.time_varying:
        period = rng.choices(block.periods, weights=[b - a + 1 for a, b, _ in block.periods])[0]
        first, last, value = period
        m = rng.randint(first, last)
        if rng.random() < 0.7:
            valid_from, valid_to, precision, when = (
                month_first(m),
                month_last(m),
                "month",
                f"in {say_month(m)}",
            )
        else:
            day = month_first(m) + datetime.timedelta(days=rng.randrange(28))
            valid_from, valid_to, precision, when = day, day, "day", f"on {say_day(day)}"
        row.update(
            valid_from=valid_from,
            valid_from_precision=precision,
            valid_to=valid_to,
            valid_to_precision=precision,
            valid_as_written=when,
            holds_from=valid_from,
            holds_to=valid_to,
        )
    if rng.random() < 0.05:
        row["location_id"] = rng.choice(block.locations)
    if spec.value_type == "quantity":
        variant = outlier or pick(rng, QUANTITY_VARIANTS)
        columns, said, negated = quantity_columns(variant, value)
        row.update(columns)
        row["value_as_written"] = said
    elif spec.value_type == "date":
        variant = outlier or pick(rng, DATE_VARIANTS)
        columns, when, negated = date_columns(variant, value)
        row.update(columns)
        row["value_as_written"] = when
        said = ""
    else:
        if spec.key == "allied-with":
            if outlier:
                entity, negated = rng.choice(block.allies), True
            elif rng.random() < 0.08:
                others = [g for g in world.group_ids[:12] if g not in block.allies]
                entity, negated = rng.choice(others), True
            else:
                entity, negated = rng.choice(block.allies), False
        elif outlier == "negation":
            entity, negated = value, True
        elif outlier:
            entity, negated = _other_group(world, rng, value), False
        elif rng.random() < 0.08:
            entity, negated = _other_group(world, rng, value), True
        else:
            entity, negated = value, False
        row["value_entity_id"] = entity
        said = world.name_of_group(entity)
    if negated:
        row["negated"] = True
    wording = spec.denied if negated else spec.wording
    text = wording.format(subject=world.subject_names[block.subject], value=said, when=when)
    if rng.random() < 0.5:  # claims of one block come in different words from different people
        text += f", {pick_name(rng, world.name_cum_weights)} said"
    row["text"] = text[0].upper() + text[1:] + "."
    return row


def _other_group(world: World, rng: random.Random, entity: int) -> int:
    while True:
        other = rng.choice(world.group_ids[:20])
        if other != entity:
            return other


def fact_row(row: dict, claim_id: int) -> tuple:
    """The FACT_COLUMNS tuple of a generated row."""
    defaults = {"negated": False, "quantity_low_inclusive": True, "quantity_high_inclusive": True}
    return tuple(claim_id if c == "id" else row.get(c, defaults.get(c)) for c in FACT_COLUMNS)


def rules_of(spec: PredicateSpec) -> PredicateRules:
    return PredicateRules(spec.value_type, spec.functional, spec.time_varying)


# --- text-only claims ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    verb: str
    landmark: str
    names: tuple[str, ...]
    noun: str
    group: int  # entity id
    count: int | None  # numeric events report a count
    day: datetime.date


def event_of(world: World, place: int, k: int) -> Event:
    """The k-th event at a place: what every report of it says."""
    rng = random.Random(f"{world.seed}/event/{place}/{k}")
    return Event(
        verb=rng.choice(TEXT_VERBS),
        landmark=rng.choice(TEXT_LANDMARKS),
        names=tuple(pick_name(rng, world.name_cum_weights) for _ in range(3)),
        noun=rng.choice(TEXT_NOUNS),
        group=rng.choices(world.group_ids, cum_weights=world.group_cum_weights)[0],
        count=int(10 ** rng.uniform(1.3, 3.5)) if rng.random() < 0.6 else None,
        day=datetime.date(2014, 1, 1) + datetime.timedelta(days=rng.randrange(6 * 365)),
    )


@dataclass(frozen=True)
class Report:
    """One wording of an event; a twin differs from its original in a number or a negation."""

    place: int
    k: int
    prefix: str
    count_style: int
    day_style: int
    twist: str = ""  # "", "number", "negation"


def report_text(world: World, report: Report) -> str:
    event = event_of(world, report.place, report.k)
    group = world.name_of_group(event.group)
    if group in ALIASES and report.count_style == 2:
        group = ALIASES[group][0]
    place = world.subject_names[report.place]
    when = (
        f"on {say_day(event.day)}"
        if report.day_style == 0
        else f"in {MONTHS[event.day.month - 1]} {event.day.year}"
    )
    action = f"did not {event.verb}" if report.twist == "negation" else past_of(event.verb)
    first, second, third = event.names
    text = (
        f"{report.prefix}{group} {action} the {first} {event.landmark} of {second} near {third} "
        f"in {place} {when}"
    )
    if event.count is not None:
        n = event.count
        if report.twist == "number":
            count = f"{max(1, round(n / 4))}"
        else:
            count = (f"{n}", f"about {n}", f"more than {round(0.8 * n)}")[report.count_style]
        text += f" with {count} {event.noun}"
    return text + "."


# --- generation ---------------------------------------------------------------------------------


@dataclass
class Dataset:
    rows: list[dict]  # in generation order; inserted shuffled
    expected: set[tuple[int, int]]  # structured pairs, as generation indexes
    planted: int  # planted structured claims
    twins: list[tuple[int, int, str]]  # (original, twin, twist) as generation indexes
    blocks: dict[tuple[int, int], Block]
    reports: dict[int, Report]  # text claims by generation index


def load_world(n: int, seed: int, vocabulary: str = "adversarial") -> World:
    """Entities (subjects, groups, locations, with a few aliases) and predicates, inserted."""
    n_subjects = max(50, n // 50)
    subject_names = [
        HOT_SUBJECTS[i] if i < len(HOT_SUBJECTS) else synthetic_name(i) for i in range(n_subjects)
    ]
    group_names = [
        NAMED_GROUPS[i] if i < len(NAMED_GROUPS) else f"{synthetic_name(50_000 + i)} Brigade"
        for i in range(N_GROUPS)
    ]
    location_names = [f"{synthetic_name(90_000 + i)} District" for i in range(N_LOCATIONS)]
    rows = []
    for i, name in enumerate(subject_names):
        kind = "organization" if name == "Islamic State" else "place"
        rows.append({"key": f"s{i}", "name": name, "kind": kind})
    for i, name in enumerate(group_names):
        rows.append({"key": f"g{i}", "name": name, "kind": "organization"})
    for i, name in enumerate(location_names):
        rows.append({"key": f"l{i}", "name": name, "kind": "place"})
    for row in rows:
        row["normalized_name"] = normalize_name(row["name"])
    with transaction.atomic():
        ids = insert_rows(Entity, rows)
        subject_ids = ids[:n_subjects]
        group_ids = ids[n_subjects : n_subjects + N_GROUPS]
        location_ids = ids[n_subjects + N_GROUPS :]
        # "Islamic State" is a subject and also one of the groups that control places.
        islamic_state = subject_ids[subject_names.index("Islamic State")]
        group_ids[-1], group_names[-1] = islamic_state, "Islamic State"
        by_name = dict(zip(subject_names + group_names, subject_ids + group_ids, strict=True))
        insert_rows(
            EntityAlias,
            [
                {"entity_id": by_name[name], "name": alias, "normalized": normalize_name(alias)}
                for name, aliases in ALIASES.items()
                for alias in aliases
            ],
        )
        predicate_ids = insert_rows(
            Predicate,
            [
                {
                    "key": p.key,
                    "name": p.name,
                    "normalized_name": normalize_name(p.name),
                    "value_type": p.value_type,
                    "unit": p.unit,
                    "functional": p.functional,
                    "time_varying": p.time_varying,
                }
                for p in PREDICATES
            ],
        )
    total, cum = 0.0, []
    for rank in range(n_subjects):
        total += 1 / (rank + 1) ** ZIPF_S
        cum.append(total)
    return World(
        seed,
        subject_ids,
        subject_names,
        group_ids,
        group_names,
        location_ids,
        predicate_ids,
        cum,
        list(itertools.accumulate(1 / r**0.5 for r in range(1, len(group_ids) + 1))),
        list(itertools.accumulate(1 / r for r in range(1, name_count(n, vocabulary) + 1))),
    )


def outliers_for(block: Block, rng: random.Random) -> list[int]:
    """Which claims of the block (by position) are planted.

    Small blocks get an outlier now and then, mid-sized ones at most one, and some hot ones one
    that conflicts with about half the block (or, when time matters, three that each meet the
    claims of one month): about 5,000 expected pairs at 100,000 claims, 50,000 at 1,000,000."""
    m = block.size
    if m < 2:
        return []
    if m <= 50:
        return [i for i in range(m) if rng.random() < 0.01]
    if m <= 1000:
        return [rng.randrange(m)] if rng.random() < 0.1 else []
    if PREDICATES[block.predicate].time_varying:
        return rng.sample(range(m), 3)
    return [rng.randrange(m)] if rng.random() < 0.15 else []


def generate(world: World, n: int) -> Dataset:
    rng = random.Random(f"{world.seed}/claims/{n}")
    n_text = round(n * TEXT_SHARE)
    n_structured = n - n_text
    subjects = rng.choices(
        range(len(world.subject_ids)), cum_weights=world.cum_weights, k=n_structured
    )
    predicates = rng.choices(
        range(len(PREDICATES)), weights=[p.weight for p in PREDICATES], k=n_structured
    )
    sizes = Counter(zip(subjects, predicates, strict=True))
    del subjects, predicates
    rows: list[dict] = []
    expected: set[tuple[int, int]] = set()
    blocks: dict[tuple[int, int], Block] = {}
    planted = 0
    for (subject, predicate), size in sorted(sizes.items()):
        block = blocks[subject, predicate] = make_block(world, subject, predicate, size)
        spec = PREDICATES[predicate]
        chosen = set(outliers_for(block, rng))
        hot = size > 1000
        first = len(rows)
        for i in range(size):
            outlier = None
            if i in chosen:
                outlier = (
                    ("high" if spec.time_varying else "narrow") if hot else pick(rng, OUTLIER_KINDS)
                )
            rows.append(claim_row(world, block, rng, outlier))
        if chosen:
            planted += len(chosen)
            rules = rules_of(spec)
            facts = [facts_of(fact_row(rows[g], g)) for g in range(first, len(rows))]
            for i in sorted(chosen):
                for j in range(size):
                    if j == i or (j in chosen and j < i):
                        continue
                    if pair_conflict(facts[i], facts[j], rules):
                        expected.add((first + min(i, j), first + max(i, j)))
    reports: dict[int, Report] = {}
    twins: list[tuple[int, int, str]] = []
    places = rng.choices(range(len(world.subject_ids)), cum_weights=world.cum_weights, k=n_text)
    total = world.cum_weights[-1]
    while len(reports) < n_text:
        place = places[len(reports)]
        share = (world.cum_weights[place] - (world.cum_weights[place - 1] if place else 0)) / total
        events = max(1, round(n_text * share / 5))
        report = Report(
            place,
            rng.randrange(events),
            rng.choice(TEXT_PREFIXES),
            rng.randrange(3),
            rng.randrange(2),
        )
        reports[len(rows)] = report
        rows.append({"text": report_text(world, report)})
        if rng.random() < TWIN_SHARE and len(reports) < n_text:
            twist = "number" if event_of(world, place, report.k).count is not None else "negation"
            twin = dataclasses.replace(report, twist=twist)
            twins.append((len(rows) - 1, len(rows), twist))
            reports[len(rows)] = twin
            rows.append({"text": report_text(world, twin)})
    return Dataset(rows, expected, planted, twins, blocks, reports)


def new_claim_rows(world: World, data: Dataset, count: int) -> list[tuple[dict, str]]:
    """Claims arriving after the load, from the same distribution: (row, what it is)."""
    rng = random.Random(f"{world.seed}/new")
    text_ids = sorted(data.reports)
    out = []
    for _ in range(count):
        if rng.random() < TEXT_SHARE:
            original = data.reports[rng.choice(text_ids)]
            if rng.random() < 0.3:
                count_known = event_of(world, original.place, original.k).count is not None
                twist = "number" if count_known else "negation"
                report = dataclasses.replace(original, twist=twist)
                out.append(({"text": report_text(world, report)}, f"text twin ({twist})"))
            else:
                report = dataclasses.replace(original, prefix=rng.choice(TEXT_PREFIXES))
                out.append(({"text": report_text(world, report)}, "text"))
            continue
        subject = rng.choices(range(len(world.subject_ids)), cum_weights=world.cum_weights)[0]
        predicate = rng.choices(range(len(PREDICATES)), weights=[p.weight for p in PREDICATES])[0]
        block = data.blocks.get((subject, predicate)) or make_block(world, subject, predicate, 0)
        outlier = pick(rng, OUTLIER_KINDS) if block.size <= 1000 and rng.random() < 0.05 else None
        what = f"block of {block.size:,}" + (f", {outlier} outlier" if outlier else "")
        out.append((claim_row(world, block, rng, outlier), what))
    return out


# --- loading ------------------------------------------------------------------------------------


def truncate() -> None:
    tables = [
        "claims_contradictionscanchunk",
        "claims_contradictionscan",
        "claims_contradiction",
        "claims_claimterm",
        "claims_appearancevia",
        "claims_appearance",
        "claims_claimrelation",
        "claims_claim",
        "claims_predicatealias",
        "claims_predicate",
        "sources_entityalias",
        "sources_entity",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


class TermCache:
    """The stored wording of each text (detection.wording_index), as claim_terms_refresh writes
    it; wordings repeat within blocks, so each is read once."""

    def __init__(self) -> None:
        self.matcher = alias_matcher()
        self.cache: dict[str, WordingIndex] = {}

    def prepare(self, row: dict) -> WordingIndex:
        """Set the row's stored wording columns; returns its index, for term_rows()."""
        index = self.cache.get(row["text"])
        if index is None:
            index = self.cache[row["text"]] = wording_index(row["text"], self.matcher)
        row["wording_terms"], row["wording_digest"] = index.joined, index.digest
        return index

    @staticmethod
    def rows(claim_id: int, row: dict, index: WordingIndex) -> list[dict]:
        structured = is_structured(
            row.get("subject_id"), row.get("predicate_id"), row.get("value_type", "")
        )
        return index.term_rows(claim_id, text_only=not structured)


def load(data: Dataset, seed: int) -> tuple[list[int], float]:
    """Insert the rows in a shuffled order (claims arrive mixed, not block by block) with their
    terms; returns the id of each generation index and the seconds taken."""
    started = time.perf_counter()
    order = list(range(len(data.rows)))
    random.Random(f"{seed}/order").shuffle(order)
    ids = [0] * len(order)
    terms = TermCache()
    for start in range(0, len(order), LOAD_BATCH):
        batch = order[start : start + LOAD_BATCH]
        rows, indexes = [], []
        for g in batch:
            row = data.rows[g]
            row["key"] = f"c{g}"
            indexes.append(terms.prepare(row))
            rows.append(row)
        with transaction.atomic():
            new_ids = insert_rows(Claim, rows)
            term_rows = []
            for g, claim_id, index in zip(batch, new_ids, indexes, strict=True):
                ids[g] = claim_id
                term_rows += terms.rows(claim_id, data.rows[g], index)
            insert_rows(ClaimTerm, term_rows)
    with connection.cursor() as cursor:
        # What autovacuum does after a load, done now so that plans and visibility are settled.
        for table in ("claims_claim", "claims_claimterm", "sources_entity", "claims_predicate"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return ids, time.perf_counter() - started


# --- measurements -------------------------------------------------------------------------------


# The child reports its own peak (VmHWM): ru_maxrss would not do, as Linux carries it over
# from the parent's memory, forked from this large process, across exec.
CHILD_CODE = """
import sys, django
django.setup()
import claims.services.detection
if sys.argv[1:] == ["scan"]:
    from django.core.management import call_command
    call_command("detect_contradictions")
with open("/proc/self/status") as status:
    print(next(line for line in status if line.startswith("VmHWM")))
"""


def run_child(*args: str) -> tuple[str, float, float]:
    """Run CHILD_CODE in a fresh interpreter; its output, seconds, and peak RSS in MB."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", CHILD_CODE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"the child process failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    peak_kb = int(lines[-1].split()[1])
    return "\n".join(lines[:-1]), seconds, peak_kb / 1024


def run_scan() -> dict:
    """`detect_contradictions` in a child process: its time, peak memory, and chunk times."""
    output, wall, peak = run_child("scan")
    scan = ContradictionScan.objects.order_by("-id").first()
    by_kind: dict[str, float] = defaultdict(float)
    previous = scan.started_at
    for kind, done_at in scan.chunks.order_by("number").values_list("kind", "done_at"):
        by_kind[kind] += (done_at - previous).total_seconds()
        previous = done_at
    return {
        "scan": scan,
        "seconds": (scan.finished_at - scan.created_at).total_seconds(),
        "planning": (scan.started_at - scan.created_at).total_seconds(),
        "chunks": dict(by_kind),
        "wall": wall,
        "rss_mb": peak,
        "output": output,
    }


def structured_rows() -> list[tuple]:
    return list(
        Claim.objects.filter(
            subject__isnull=False, predicate__isnull=False, value_type__in=STRUCTURED_TYPES
        )
        .order_by("id")
        .values_list(*FACT_COLUMNS)
    )


def stored_pairs(prefix: str) -> set[tuple[int, int]]:
    return set(
        Contradiction.objects.filter(detected_by__startswith=prefix).values_list(
            "claim_a_id", "claim_b_id"
        )
    )


def all_pairs(seconds: float | None) -> dict:
    """Every structured claim against every other: same subject and predicate, then the rules.
    With a time box, stops after it and reports its rate."""
    load_started = time.perf_counter()
    rows = structured_rows()
    rules = predicate_rules({row[2] for row in rows})
    facts = [facts_of(row) for row in rows]
    keys = [(row[1], row[2]) for row in rows]
    rule_of = [rules[row[2]] for row in rows]
    del rows
    loaded = time.perf_counter() - load_started
    n = len(facts)
    found: set[tuple[int, int]] = set()
    done = 0
    started = time.perf_counter()
    with gc_paused():
        for i in range(n):
            key, mine, rule = keys[i], facts[i], rule_of[i]
            for j in range(i + 1, n):
                if keys[j] == key and pair_conflict(mine, facts[j], rule):
                    other = facts[j].id
                    found.add((mine.id, other) if mine.id < other else (other, mine.id))
            done += n - 1 - i
            if seconds is not None and time.perf_counter() - started > seconds:
                break
    elapsed = time.perf_counter() - started
    total = n * (n - 1) // 2
    rate = done / elapsed if elapsed else float("inf")
    return {
        "claims": n,
        "pairs": total,
        "done": done,
        "complete": done == total,
        "seconds": elapsed,
        "load_seconds": loaded,
        "extrapolated": loaded + total / rate,
        "found": found,
    }


def structured_examined() -> tuple[int, float]:
    """How many pairs the scan's sweep hands to the rules (the scan does not count them): the
    blocks read as _structured_chunk reads them, with pair_conflict counted."""
    calls = 0
    original = rules_module.pair_conflict

    def counted(a, b, rules):
        nonlocal calls
        calls += 1
        return original(a, b, rules)

    rules = predicate_rules(Predicate.objects.values_list("id", flat=True))
    started = time.perf_counter()
    rules_module.pair_conflict = counted
    try:
        query = (
            Claim.objects.filter(
                subject__isnull=False, predicate__isnull=False, value_type__in=STRUCTURED_TYPES
            )
            .order_by("subject_id", "predicate_id")
            .values_list(*FACT_COLUMNS)
        )
        block, key = [], None
        for row in query.iterator(chunk_size=20_000):
            if (row[1], row[2]) != key:
                if len(block) > 1:
                    for _ in block_conflicts(map(facts_of, block), rules[key[1]]):
                        pass
                block, key = [], (row[1], row[2])
            block.append(row)
        if len(block) > 1:
            for _ in block_conflicts(map(facts_of, block), rules[key[1]]):
                pass
    finally:
        rules_module.pair_conflict = original
    return calls, time.perf_counter() - started


def wording_groups() -> dict[str, list[tuple[int, bool, str]]]:
    """Every stored wording by term set: [(claim id, structured, digest)]."""
    groups: dict[str, list[tuple[int, bool, str]]] = defaultdict(list)
    rows = (
        Claim.objects.exclude(wording_terms="")
        .exclude(wording_digest="")
        .values_list(
            "id", "subject_id", "predicate_id", "value_type", "wording_terms", "wording_digest"
        )
    )
    for claim_id, subject, predicate, value_type, joined, digest in rows.iterator(20_000):
        groups[joined].append((claim_id, is_structured(subject, predicate, value_type), digest))
    return groups


def text_examined() -> dict:
    """What the scan's wording join works on (detection._text_chunk, as one chunk): the
    distinct term sets, those holding a text-only wording, and the pairs of sets the prefix
    filter leaves for similarity() to decide."""
    started = time.perf_counter()
    groups = wording_groups()
    sets = [frozenset(joined.split(" ")) for joined in groups]
    join = SetJoin(sets)
    probes = [
        number
        for number, members in enumerate(groups.values())
        if any(not structured for _, structured, _ in members)
    ]
    similar = sum(len(join.similar(number)) for number in probes)
    return {
        "wordings": sum(len(members) for members in groups.values()),
        "sets": len(sets),
        "text_sets": len(probes),
        "set_candidates": join.candidates,
        "similar_sets": similar,
        "largest": max((len(members) for members in groups.values()), default=0),
        "seconds": time.perf_counter() - started,
    }


def text_all_pairs() -> tuple[set[tuple[int, int]], float]:
    """The wording pairs all-pairs finds: every term set holding a text-only wording against
    every term set (similarity() on each pair, no index), then every pair of their claims
    that are not both structured decided by conflicting() one by one (no digest classes)."""
    started = time.perf_counter()
    groups = list(wording_groups().items())
    sets = [frozenset(joined.split(" ")) for joined, _ in groups]
    found: set[tuple[int, int]] = set()
    signatures: dict[int, object] = {}

    def signature(number: int, claim_id: int, digest: str):
        if claim_id not in signatures:
            signatures[claim_id] = from_digest(sets[number], digest)
        return signatures[claim_id]

    for g, (_, members) in enumerate(groups):
        if all(structured for _, structured, _ in members):
            continue
        for h in range(len(groups)):
            if similarity(sets[g], sets[h]) < 0.7:
                continue
            for a, a_structured, a_digest in members:
                if a_structured:
                    continue
                for b, b_structured, b_digest in groups[h][1]:
                    if b == a or (not b_structured and b > a):
                        continue
                    if conflicting(signature(g, a, a_digest), signature(h, b, b_digest)):
                        found.add((min(a, b), max(a, b)))
    return found, time.perf_counter() - started


class QueryLog:
    """The queries one call runs, with their times (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str, object, bool]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - started, sql, params, many))


def profile_check(claim_id: int, label: str) -> None:
    """Where one check spends its time: its slowest queries, and the plan of the slowest."""
    log = QueryLog()
    started = time.perf_counter()
    with connection.execute_wrapper(log):
        claims_check(claim_ids=[claim_id])
    total = time.perf_counter() - started
    in_sql = sum(q[0] for q in log.queries)
    print(
        f"\n{label}: claim {claim_id} checked again in {total * 1000:.1f} ms, "
        f"{len(log.queries)} queries taking {in_sql * 1000:.1f} ms:"
    )
    for seconds, sql, _, _ in sorted(log.queries, key=lambda q: -q[0])[:4]:
        print(f"  {seconds * 1000:7.2f} ms  {' '.join(sql.split())[:150]}")
    slowest = max(log.queries, key=lambda q: q[0])
    if slowest[1].lstrip().upper().startswith("SELECT") and not slowest[3]:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest[1]}", slowest[2])
            print("  plan of the slowest:")
            for (line,) in cursor.fetchall():
                print(f"    {line}")


def incremental(world: World, data: Dataset, count: int) -> dict:
    """Insert new claims one at a time (row and terms), checking each: only the check is timed."""
    terms = TermCache()
    timings = []
    checked = []
    # Warm: the alias matcher is built once per process, not per check.
    alias_matcher()
    for number, (row, what) in enumerate(new_claim_rows(world, data, count)):
        row = {**row, "key": f"new-{number}", "check_requested_at": timezone.now()}
        index = terms.prepare(row)
        with transaction.atomic():
            (claim_id,) = insert_rows(Claim, [row])
            insert_rows(ClaimTerm, terms.rows(claim_id, row, index))
        started = time.perf_counter()
        found = claims_check(claim_ids=[claim_id])
        seconds = time.perf_counter() - started
        timings.append(seconds)
        checked.append((seconds, claim_id, what, len(found.pairs), found.compared))
    ordered = sorted(timings)
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return {
        "median": statistics.median(timings),
        "p99": p99,
        "max": ordered[-1],
        "checked": checked,
    }


def load_everything_baseline(claim_ids: list[int], seconds: float = 120.0) -> dict:
    """The naive incremental check: load every structured claim and compare the new one with
    each in a Python loop. Per claim, as each check would have to reload."""
    per_claim, agree = [], True
    for claim_id in claim_ids:
        started = time.perf_counter()
        rows = structured_rows()
        rules = predicate_rules({row[2] for row in rows})
        mine_row = next(row for row in rows if row[0] == claim_id)
        mine = facts_of(mine_row)
        block = mine_row[1:4]
        found = set()
        for row in rows:
            if row[1:4] == block and row[0] != claim_id:
                if pair_conflict(mine, facts_of(row), rules[row[2]]):
                    found.add(row[0])
        per_claim.append(time.perf_counter() - started)
        del rows
        # The check stored what it found: the baseline must find the same structured pairs.
        stored = {
            b if a == claim_id else a
            for a, b in Contradiction.objects.filter(
                Q(claim_a_id=claim_id) | Q(claim_b_id=claim_id),
                detected_by__startswith="structured",
            ).values_list("claim_a_id", "claim_b_id")
        }
        agree = agree and stored == found
        if sum(per_claim) > seconds:
            break
    return {"per_claim": statistics.mean(per_claim), "claims": len(per_claim), "agree": agree}


# --- one dataset --------------------------------------------------------------------------------


def run(n: int, opts, *, verify: bool) -> dict:
    print(f"\n## {n:,} claims{' (verification dataset)' if verify else ''}\n")
    truncate()
    gc.collect()
    started = time.perf_counter()
    with gc_paused():
        world = load_world(n, opts.seed, opts.vocabulary)
        data = generate(world, n)
    generated = time.perf_counter() - started
    with gc_paused():
        ids, loaded = load(data, opts.seed)
    n_terms = ClaimTerm.objects.count()
    sizes = sorted((b.size for b in data.blocks.values()), reverse=True)
    top = Claim.objects.values_list("subject_id").annotate(k=Count("id"))
    top = sorted((k for _, k in top.exclude(subject__isnull=True)), reverse=True)[:3]
    print(
        f"generated in {generated:.1f} s, loaded (COPY, terms, VACUUM ANALYZE) in {loaded:.1f} s: "
        f"{len(world.subject_ids):,} subjects, {len(data.blocks):,} blocks, "
        f"{len(data.reports):,} text-only claims, {n_terms:,} terms"
    )
    print(
        f"hottest subjects: {', '.join(f'{k:,} ({k / n:.1%})' for k in top)} claims; "
        f"largest blocks: {', '.join(f'{s:,}' for s in sizes[:5])}; "
        f"blocks over 1,000 claims: {sum(s > 1000 for s in sizes)}"
    )
    expected = {(min(ids[a], ids[b]), max(ids[a], ids[b])) for a, b in data.expected}
    print(
        f"planted: {data.planted:,} structured outliers, expected to conflict in "
        f"{len(expected):,} pairs; {len(data.twins):,} text twins"
    )

    scan = run_scan()
    record = scan["scan"]
    print(f"scan: {(scan['output'].splitlines() or [''])[0]}")
    print(
        "scan time by part (from chunk completion times): "
        + ", ".join(f"{kind} chunks {seconds:.1f} s" for kind, seconds in scan["chunks"].items())
        + f" (the first including planning); peak RSS {scan['rss_mb']:.0f} MB"
    )
    found_structured = stored_pairs("structured")
    found_text = stored_pairs("text")
    print(
        f"structured pairs stored: {len(found_structured):,}; of the {len(expected):,} expected "
        f"{len(expected & found_structured):,} found, {len(found_structured - expected):,} "
        f"not planted"
    )
    twins = {(min(ids[a], ids[b]), max(ids[a], ids[b])): twist for a, b, twist in data.twins}
    for twist in ("number", "negation"):
        wanted = {pair for pair, t in twins.items() if t == twist}
        print(
            f"text twins differing in a {twist}: {len(wanted & found_text):,} of {len(wanted):,} "
            f"found"
        )
    print(f"text pairs stored: {len(found_text):,} ({len(found_text - set(twins)):,} not twins)")
    examined, sweep_seconds = structured_examined()
    print(
        f"structured pairs handed to the rules by the sweep: {examined:,} "
        f"(the sweep alone, in this process, {sweep_seconds:.1f} s)"
    )

    text = text_examined()
    print(
        f"wordings joined: {text['wordings']:,} in {text['sets']:,} distinct term sets "
        f"({text['text_sets']:,} with a text-only wording; the largest set said "
        f"{text['largest']:,} times); pairs of sets the prefix filter left: "
        f"{text['set_candidates']:,}, near-identical {text['similar_sets']:,} "
        f"(the join alone, in this process, {text['seconds']:.1f} s)"
    )
    text_same = None
    if verify:
        brute, brute_seconds = text_all_pairs()
        text_same = brute == found_text
        print(
            f"wording all-pairs ran to the end in {brute_seconds:.1f} s: same pairs: "
            f"{'yes' if text_same else 'NO'} ({len(brute):,} by all-pairs, {len(found_text):,} "
            f"by the scan)"
        )

    pairs = all_pairs(None if verify else opts.allpairs_seconds)
    same = None
    if verify:
        same = pairs["found"] == found_structured
        print(
            f"all-pairs ran to the end: {pairs['pairs']:,} pairs in {pairs['seconds']:.1f} s "
            f"(+{pairs['load_seconds']:.1f} s loading)"
        )
        print(
            f"same pairs: {'yes' if same else 'NO'} ({len(pairs['found']):,} pairs by all-pairs, "
            f"{len(found_structured):,} by the scan; equal to the planted set: "
            f"{'yes' if pairs['found'] == expected else 'no'})"
        )
    else:
        print(
            f"all-pairs: {pairs['done']:,} of {pairs['pairs']:,} pairs in {pairs['seconds']:.0f} s,"
            f" extrapolated to {pairs['extrapolated']:,.0f} s"
        )

    inc = incremental(world, data, opts.new_claims)
    checked = inc["checked"]
    slowest = sorted(checked, reverse=True)[:5]
    print(
        f"incremental: {len(checked)} new claims, median {inc['median'] * 1000:.2f} ms, "
        f"p99 {inc['p99'] * 1000:.2f} ms, max {inc['max'] * 1000:.2f} ms; "
        f"{sum(1 for c in checked if c[3])} found pairs ({sum(c[3] for c in checked)} in all)"
    )
    for seconds, claim_id, what, n_pairs, compared in slowest:
        print(
            f"  {seconds * 1000:7.2f} ms  claim {claim_id}: {what}; {compared} candidates, "
            f"{n_pairs} pairs"
        )
    by_what = defaultdict(list)
    for seconds, _, what, _, _ in checked:
        by_what["text" if what.startswith("text") else "structured"].append(seconds)
    print(
        "  median by kind: "
        + ", ".join(
            f"{k} {statistics.median(v) * 1000:.2f} ms ({len(v)})" for k, v in by_what.items()
        )
    )
    profile_check(slowest[0][1], "slowest check")
    median_claim = sorted(checked)[len(checked) // 2]
    profile_check(median_claim[1], "median check")

    structured_new = [c[1] for c in checked if not c[2].startswith("text")]
    baseline = load_everything_baseline(structured_new[: opts.baseline_claims])
    print(
        f"\nload-everything baseline: {baseline['per_claim'] * 1000:,.0f} ms per claim over "
        f"{baseline['claims']} claims; same structured pairs as claims_check: "
        f"{'yes' if baseline['agree'] else 'NO'}"
    )
    flags = Contradiction.objects.count()
    return {
        "n": n,
        "inc": inc,
        "baseline": baseline,
        "scan": scan,
        "pairs": pairs,
        "candidates": record.candidates_compared,
        "examined": examined,
        "flags": record.pairs_found,
        "flags_now": flags,
        "same": same,
        "text_same": text_same,
        "text": text,
    }


def scan_cell(scan: dict) -> str:
    parts = " + ".join(f"{kind} {seconds:.1f}" for kind, seconds in scan["chunks"].items())
    return f"{scan['seconds']:.2f} ({parts})"


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/contradictions.py measures PostgreSQL: give a PostgreSQL --database-url")
    call_command("migrate", verbosity=0)
    if OPTS.text_share is not None:
        global TEXT_SHARE
        TEXT_SHARE = OPTS.text_share
    if OPTS.only:
        run_only(OPTS)
        return
    results = []
    if not OPTS.skip_verify:
        results.append(run(OPTS.verify_n, OPTS, verify=True))
    results.append(run(OPTS.n, OPTS, verify=False))
    idle = run_child()[2]

    print(f"\nvocabulary of text-only wordings: {OPTS.vocabulary}")
    for r in results:
        t = r["text"]
        print(
            f"  {r['n']:,} claims: {name_count(r['n'], OPTS.vocabulary):,} names; "
            f"{t['sets']:,} term sets ({t['text_sets']:,} with text-only wordings), "
            f"{t['set_candidates']:,} set pairs left by the prefix filter, "
            f"{r['candidates']:,} digest pairs decided by the scan"
        )
    print()
    print(
        "| N | incremental median / p99 (ms) | baseline per claim (ms) | full scan (s) "
        "| all-pairs extrapolated (s) | candidates vs all pairs | scan peak RSS (MB) | flags |"
    )
    print("|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in results:
        pairs = r["pairs"]
        all_pairs_s = (
            f"{pairs['seconds'] + pairs['load_seconds']:,.1f} (ran to the end)"
            if pairs["complete"]
            else f"{pairs['extrapolated']:,.0f}"
        )
        compared = r["candidates"] + r["examined"]
        print(
            f"| {r['n']:,} | {r['inc']['median'] * 1000:.2f} / {r['inc']['p99'] * 1000:.2f} "
            f"| {r['baseline']['per_claim'] * 1000:,.0f} | {scan_cell(r['scan'])} "
            f"| {all_pairs_s} | {r['candidates']:,} text + {r['examined']:,} structured "
            f"= {compared:,} vs {pairs['pairs']:,} ({compared / max(1, pairs['pairs']):.1e}) "
            f"| {r['scan']['rss_mb']:.0f} | {r['flags']:,} |"
        )
    print(
        f"\nscan peak RSS includes the interpreter and Django: a process that only sets Django "
        f"up and imports the detection peaks at {idle:.0f} MB."
    )
    for r in results:
        if r["same"] is not None:
            count = len(r["pairs"]["found"])
            print(
                f"verification at {r['n']:,} claims: same structured pairs: "
                f"{'yes' if r['same'] else 'NO'} ({count:,} pairs); same wording pairs: "
                f"{'yes' if r['text_same'] else 'NO'}"
            )
    print(
        "bench process peak RSS: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    if OPTS.workers:
        report_worker_scaling(OPTS.n, scan_on_workers(OPTS))


# --- the scan on Celery workers, and the check alone --------------------------------------------
#
# `--workers 1,2` runs the whole scan as production does: the scan is requested with the task
# (claims.request_scan) on a Redis broker, `celery worker` subprocesses (concurrency 1 each) take
# its chunks, and the time runs until the scan is stamped finished. Each run starts from no flags
# and no scans, so each does the same work, and must store the same flags.


def run_only(opts) -> None:
    """Load the --n dataset, then only the measurement --only names."""
    print(f"\n## {opts.n:,} claims, {opts.only} only\n")
    truncate()
    gc.collect()
    with gc_paused():
        world = load_world(opts.n, opts.seed)
        data = generate(world, opts.n)
        _, loaded = load(data, opts.seed)
    print(f"loaded (COPY, terms, VACUUM ANALYZE) in {loaded:.1f} s")
    if opts.only == "workers":
        report_worker_scaling(opts.n, scan_on_workers(opts))
        return
    inc = incremental(world, data, opts.new_claims)
    checked = inc["checked"]
    by_what = defaultdict(list)
    for seconds, _, what, _, _ in checked:
        by_what["text" if what.startswith("text") else "structured"].append(seconds)
    print(
        f"incremental: {len(checked)} new claims, median {inc['median'] * 1000:.2f} ms, "
        f"p99 {inc['p99'] * 1000:.2f} ms, max {inc['max'] * 1000:.2f} ms; "
        + ", ".join(
            f"{k} median {statistics.median(v) * 1000:.2f} ms ({len(v)})"
            for k, v in by_what.items()
        )
    )
    for seconds, claim_id, what, n_pairs, compared in sorted(checked, reverse=True)[:5]:
        print(
            f"  {seconds * 1000:7.2f} ms  claim {claim_id}: {what}; {compared} candidates, "
            f"{n_pairs} pairs"
        )
    profile_check(sorted(checked)[len(checked) // 2][1], "median check")


def _reset_detection() -> None:
    """No flags, supersessions or scans: a scan after this does the whole work again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE claims_contradictionscanchunk, claims_contradictionscan, "
            "claims_contradiction, claims_supersession RESTART IDENTITY CASCADE"
        )


class BenchWorker:
    """A `celery -A tracker worker` subprocess (concurrency 1) on the bench database."""

    def __init__(self, number: int, broker_url: str, log_dir: Path) -> None:
        self.nodename = f"bench{number}@localhost"
        self.log_path = log_dir / f"worker-{number}.log"
        env = {
            **os.environ,
            "DATABASE_URL": OPTS.database_url,
            "CELERY_BROKER_URL": broker_url,
            "PYTHONUNBUFFERED": "1",
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tracker",
            "worker",
            "-n",
            self.nodename,
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "-l",
            "info",
            "--without-mingle",
            "--without-gossip",
        ]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            sys.exit(f"worker {self.nodename} exited:\n{self.log()}")
        return f"{self.nodename} ready." in self.log()

    def busy_seconds(self) -> tuple[int, float]:
        """Scan chunks this worker ran and the seconds they took (from its log)."""
        times = [
            float(line.rsplit(" in ", 1)[1].split("s:")[0])
            for line in self.log().splitlines()
            if "claims.scan_chunk[" in line and " succeeded in " in line
        ]
        return len(times), sum(times)

    def stop(self) -> None:
        """Warm shutdown (SIGTERM to the worker's own process group), then reap it."""
        import signal

        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


def scan_on_workers(opts) -> list[dict]:
    """The full scan on 1, 2, ... worker processes: seconds from the request to the finish."""
    import tempfile

    import redis
    from celery import Celery

    from claims.models import ScanStatus

    counts = [int(c) for c in opts.workers.split(",") if c.strip()] or [1, 2]
    broker = redis.Redis.from_url(opts.broker_url)
    sender = Celery("bench-sender", broker=opts.broker_url)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    results = []
    for count in counts:
        _reset_detection()
        broker.flushdb()
        workers = [BenchWorker(i, opts.broker_url, log_dir) for i in range(count)]
        try:
            deadline = time.monotonic() + 120
            while not all(w.ready() for w in workers):
                if time.monotonic() > deadline:
                    sys.exit(f"workers not ready in 120 s; logs in {log_dir}")
                time.sleep(0.2)
            started = time.perf_counter()
            sender.send_task("claims.request_scan", kwargs={"requested_by": "bench-workers"})
            while not ContradictionScan.objects.filter(status=ScanStatus.FINISHED).exists():
                if time.perf_counter() - started > 7200:
                    sys.exit(f"the scan did not finish in 2 hours; logs in {log_dir}")
                time.sleep(0.1)
            wall = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.stop()
        scan = ContradictionScan.objects.get(status=ScanStatus.FINISHED)
        flags = set(Contradiction.objects.values_list("claim_a_id", "claim_b_id", "kind"))
        chunk_kinds = Counter(scan.chunks.values_list("kind", flat=True))
        busy = [w.busy_seconds() for w in workers]
        results.append(
            {
                "workers": count,
                "wall": wall,
                "scan_seconds": (scan.finished_at - scan.created_at).total_seconds(),
                "planning": (scan.started_at - scan.created_at).total_seconds(),
                "chunks": dict(chunk_kinds),
                "busy": busy,
                "flags": flags,
            }
        )
        print(
            f"scan on {count} worker process(es): {wall:.2f} s from request to finish "
            f"(planning {results[-1]['planning']:.2f} s); {scan.chunks_total} chunks "
            f"({', '.join(f'{n} {k}' for k, n in sorted(chunk_kinds.items()))}); per worker "
            + ", ".join(f"{n} chunks in {s:.1f} s" for n, s in busy)
            + f"; {len(flags):,} flags"
        )
    broker.flushdb()
    return results


def report_worker_scaling(n: int, results: list[dict]) -> None:
    if not results:
        return
    base = results[0]
    print()
    print("| N | worker processes | scan (s) | speed-up | chunks | busy per worker (s) | flags |")
    print("|---:|---:|---:|---:|---|---|---:|")
    for r in results:
        chunks = " + ".join(f"{v} {k}" for k, v in sorted(r["chunks"].items()))
        busy = ", ".join(f"{s:.1f}" for _, s in r["busy"])
        print(
            f"| {n:,} | {r['workers']} | {r['wall']:.2f} | {base['wall'] / r['wall']:.2f}x "
            f"| {chunks} | {busy} | {len(r['flags']):,} |"
        )
    same = all(r["flags"] == base["flags"] for r in results)
    print(f"same flags in every run: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
