"""Benchmark: candidate claims read from articles (claims/core/extraction.py), in one run.

Articles are made from the paragraphs of the demo corpus (demo/corpus: five real news
articles), drawn at random: one of 2,000 words, and 1,000 of 300 to 1,500 words (median about
900). The extractor needs no database (the look-ups are passed in), so none is used; a
stored-names index of 2,000 entities with three aliases each is passed in, as the admin
and the API do.

Measured against the naive way: running the same parser (claims.values) on every window of
one to six words, first as a quantity, then as a date, and keeping what it reads. The naive
reader is time-boxed on the 1,000 articles and extrapolated from the share of words it got
through.

    .venv/bin/python bench/extract.py [--articles 1000] [--baseline-seconds 30]
"""

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claims.core import values  # noqa: E402
from claims.core.extraction import NameIndex, extract_candidates  # noqa: E402

WINDOW = 6


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--baseline-seconds", type=float, default=30.0, help="time box of the naive reader"
    )
    return parser


def paragraphs() -> list[str]:
    found = []
    for path in sorted((ROOT / "demo" / "corpus").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        found += [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.split()) >= 12]
    return found


def article(rng: random.Random, pool: list[str], words: int) -> str:
    chosen, count = [], 0
    while count < words:
        paragraph = rng.choice(pool)
        chosen.append(paragraph)
        count += len(paragraph.split())
    return "\n\n".join(chosen)


def entity_index(rng: random.Random) -> NameIndex:
    pairs = []
    for n in range(2000):
        key = f"entity-{n}"
        pairs += [(key, f"Entity Number {n}"), (key, f"EN{n}"), (key, f"E. N. {n}")]
    pairs += [("libya", "Libya"), ("sirte", "Sirte"), ("isis", "ISIS"), ("isis", "Islamic State")]
    return NameIndex.from_names(pairs)


def naive(text: str, published: values.PartialDate) -> int:
    """Every window of one to six words read by the parser: what a finder without rules does."""
    words = text.split()
    found = 0
    for start in range(len(words)):
        for size in range(1, WINDOW + 1):
            if start + size > len(words):
                break
            phrase = " ".join(words[start : start + size]).strip(".,;:\"'()\u201c\u201d")
            try:
                values.parse_quantity(phrase)
                found += 1
                continue
            except values.ValueParseError:
                pass
            try:
                values.parse_date_phrase(phrase, published)
                found += 1
            except values.ValueParseError:
                pass
    return found


def timed(function, *args, repeat: int = 1) -> tuple[float, object]:
    """Median wall time of the calls, and the last result."""
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def cpu_median(function, *args, repeat: int) -> float:
    """Median CPU time of the calls: what the reading costs, whatever else runs beside it."""
    timings = []
    for _ in range(repeat):
        started = time.process_time()
        function(*args)
        timings.append(time.process_time() - started)
    return statistics.median(timings)


def main() -> None:
    opts = _parser().parse_args()
    rng = random.Random(opts.seed)
    pool = paragraphs()
    published = values.PartialDate(2016, 8, 5)
    entities = entity_index(rng)

    def extract(text: str) -> list:
        return extract_candidates(text, published=published, entities=entities)

    long_article = article(rng, pool, 2000)
    extract(long_article)  # pysbd compiles its rules on first use
    words = len(long_article.split())
    ours, candidates = timed(extract, long_article, repeat=21)
    ours_cpu = cpu_median(extract, long_article, repeat=21)
    theirs, naive_found = timed(naive, long_article, published, repeat=3)
    theirs_cpu = cpu_median(naive, long_article, published, repeat=3)
    print(f"one article of {words:,} words ({len(long_article):,} characters):")
    print(
        f"  extractor      {ours * 1000:8.1f} ms wall, {ours_cpu * 1000:.1f} ms CPU (medians; "
        f"{len(candidates)} candidates; aim <= 100 ms)"
    )
    print(
        f"  naive windows  {theirs * 1000:8.1f} ms wall, {theirs_cpu * 1000:.1f} ms CPU "
        f"({naive_found} windows read as a value)  -> {theirs_cpu / ours_cpu:.0f}x the CPU"
    )

    articles = [article(rng, pool, rng.randint(300, 1500)) for _ in range(opts.articles)]
    total_words = sum(len(a.split()) for a in articles)
    started, cpu_started = time.perf_counter(), time.process_time()
    total_candidates = sum(len(extract(a)) for a in articles)
    ours_all = time.perf_counter() - started
    ours_all_cpu = time.process_time() - cpu_started
    started, cpu_started, read_words = time.perf_counter(), time.process_time(), 0
    for text in articles:
        naive(text, published)
        read_words += len(text.split())
        if time.perf_counter() - started > opts.baseline_seconds:
            break
    naive_spent = time.perf_counter() - started
    naive_all = naive_spent * total_words / read_words
    naive_all_cpu = (time.process_time() - cpu_started) * total_words / read_words
    print(f"{len(articles):,} articles, {total_words:,} words:")
    print(
        f"  extractor      {ours_all:8.2f} s wall, {ours_all_cpu:.2f} s CPU "
        f"({len(articles) / ours_all_cpu:,.0f} articles per CPU second, "
        f"{total_words / ours_all_cpu:,.0f} words; {total_candidates:,} candidates)"
    )
    extrapolated = "" if read_words == total_words else ", extrapolated"
    print(
        f"  naive windows  {naive_all:8.2f} s wall, {naive_all_cpu:.2f} s CPU "
        f"({len(articles) / naive_all_cpu:,.1f} articles per CPU second; read "
        f"{read_words:,} words in {naive_spent:.1f} s{extrapolated})"
        f"  -> {naive_all_cpu / ours_all_cpu:.0f}x the CPU"
    )


if __name__ == "__main__":
    main()
