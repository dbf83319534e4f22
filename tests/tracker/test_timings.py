"""Phase timings: collected only when asked for, each phase counted once, nothing when off."""

import time

from tracker import timings


def _busy(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_phases_are_not_timed_without_a_collector():
    assert timings.phase("anything") is timings.phase("other")  # one shared do-nothing
    assert timings.lap() is None
    timings.add("anything", None)  # nothing to count to, nothing raised


def test_an_inner_phase_is_taken_out_of_the_enclosing_one_so_the_phases_add_up():
    with timings.collecting() as collected:
        start = time.perf_counter()
        with timings.phase("outer"):
            _busy(0.01)
            with timings.phase("inner"):
                _busy(0.01)
            with timings.phase("inner"):
                _busy(0.01)
        whole = time.perf_counter() - start
    assert list(collected.phases) == ["outer", "inner"]
    assert collected.phases["inner"].count == 2
    assert collected.phases["outer"].wall > 0 and collected.phases["inner"].wall > 0
    assert collected.wall <= whole


def test_a_sub_phase_timed_in_a_loop_takes_its_share_of_the_enclosing_phase():
    with timings.collecting() as collected:
        with timings.phase("loop"):
            for _ in range(3):
                started = timings.lap()
                _busy(0.005)
                timings.add("each", started)
    loop, each = collected.phases["loop"], collected.phases["each"]
    assert each.count == 3
    assert each.cpu > 0 and loop.cpu >= 0
    assert abs((loop.cpu + each.cpu) - collected.cpu) < 1e-9


def test_collecting_ends_with_its_block():
    with timings.collecting():
        assert timings.lap() is not None
    assert timings.lap() is None
