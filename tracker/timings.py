"""Phase timings of a bulk job (the claimset import), for benchmarks: off unless collected.

    with timings.collecting() as collected:
        import_claimset(document)
    for name, spent in collected.phases.items(): ...

Code marks its phases with `with timings.phase("claims: COPY"):`. Without a collector (always,
in production) `phase` returns one shared do-nothing context manager: a context-variable read
per phase, never per row. A phase's time is its own: a phase begun inside another is taken out
of the enclosing one, so the phases of one run add up to the whole.

Work done inside a per-record loop (a quote check per appearance) is timed with `lap()` and
`add()`: `lap()` is the wall clock when collecting and None otherwise, so the loop pays one
branch per record when off. Such sub-phases are counted with the wall clock for CPU time too
(they are Python work that waits for nothing; reading the process's CPU clock per record would
cost more than some of the work it times).
"""

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

_OFF = contextlib.nullcontext()


@dataclass
class Spent:
    wall: float = 0.0
    cpu: float = 0.0
    count: int = 0


@dataclass
class Timings:
    """Wall-clock and CPU seconds by phase name, in the order the phases first ran."""

    phases: dict[str, Spent] = field(default_factory=dict)
    # The phases running, innermost last: [name, wall at start, cpu at start, wall and cpu of
    # the phases begun inside it].
    _stack: list[list] = field(default_factory=list)

    def add(self, name: str, wall: float, cpu: float | None = None) -> None:
        """Count `wall` seconds (and `cpu`, the same when not given) to `name`, and take them
        out of the enclosing phase."""
        cpu = wall if cpu is None else cpu
        spent = self.phases.setdefault(name, Spent())
        spent.wall += wall
        spent.cpu += cpu
        spent.count += 1
        if self._stack:
            self._stack[-1][3] += wall
            self._stack[-1][4] += cpu

    @property
    def wall(self) -> float:
        return sum(s.wall for s in self.phases.values())

    @property
    def cpu(self) -> float:
        return sum(s.cpu for s in self.phases.values())


_collector: contextvars.ContextVar[Timings | None] = contextvars.ContextVar(
    "tracker_timings", default=None
)


@contextlib.contextmanager
def collecting() -> Iterator[Timings]:
    """Collect the phases of the work inside the block (nested collecting: the inner wins)."""
    collected = Timings()
    token = _collector.set(collected)
    try:
        yield collected
    finally:
        _collector.reset(token)


@contextlib.contextmanager
def _timed(collected: Timings, name: str) -> Iterator[None]:
    frame = [name, time.perf_counter(), time.process_time(), 0.0, 0.0]
    collected._stack.append(frame)
    try:
        yield
    finally:
        wall = time.perf_counter() - frame[1]
        cpu = time.process_time() - frame[2]
        collected._stack.pop()
        collected.add(name, wall - frame[3], cpu - frame[4])
        # The enclosing phase loses the whole of this one, children included.
        if collected._stack:
            collected._stack[-1][3] += frame[3]
            collected._stack[-1][4] += frame[4]


def phase(name: str):
    """A context manager timing the block as the phase `name` when collecting."""
    collected = _collector.get()
    if collected is None:
        return _OFF
    return _timed(collected, name)


def lap() -> float | None:
    """The wall clock when collecting, else None: start of a sub-phase timed in a loop."""
    return time.perf_counter() if _collector.get() is not None else None


def add(name: str, started: float | None) -> None:
    """Count the time since `started` (from lap()) to the sub-phase `name`."""
    if started is not None:
        collected = _collector.get()
        if collected is not None:
            collected.add(name, time.perf_counter() - started)
