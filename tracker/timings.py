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
branch per record when off. Reading the process's CPU clock per record would cost more than
some of the work it times, so such a sub-phase is given the CPU time of its enclosing phase in
proportion to its share of that phase's wall-clock time (an estimate: the loop is Python work,
and when the machine is busy the process is held up alike in all of it).
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
    # The phases running, innermost last (_Frame).
    _stack: list["_Frame"] = field(default_factory=list)

    def _spent(self, name: str) -> Spent:
        return self.phases.setdefault(name, Spent())

    def add(self, name: str, wall: float) -> None:
        """Count `wall` seconds of a sub-phase timed in a loop to `name`; its CPU time is
        given when the enclosing phase ends (see the module's doc)."""
        spent = self._spent(name)
        spent.wall += wall
        spent.count += 1
        if self._stack:
            laps = self._stack[-1].laps
            laps[name] = laps.get(name, 0.0) + wall
        else:  # outside any phase: nothing to share the CPU time of
            spent.cpu += wall

    @property
    def wall(self) -> float:
        return sum(s.wall for s in self.phases.values())

    @property
    def cpu(self) -> float:
        return sum(s.cpu for s in self.phases.values())


@dataclass
class _Frame:
    """A phase running: its start, the time of the phases begun inside it, and the wall time of
    its sub-phases timed in loops, by name."""

    name: str
    wall: float
    cpu: float
    inner_wall: float = 0.0
    inner_cpu: float = 0.0
    laps: dict[str, float] = field(default_factory=dict)


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
    collected._spent(name)  # listed in the order the phases begin
    frame = _Frame(name, time.perf_counter(), time.process_time())
    collected._stack.append(frame)
    try:
        yield
    finally:
        wall = time.perf_counter() - frame.wall
        cpu = time.process_time() - frame.cpu
        collected._stack.pop()
        # Of this phase's own time (its inner phases taken out), the laps' share.
        own_wall, own_cpu = wall - frame.inner_wall, cpu - frame.inner_cpu
        ratio = own_cpu / own_wall if own_wall > 0 else 1.0
        for lap_name, lap_wall in frame.laps.items():
            collected._spent(lap_name).cpu += lap_wall * ratio
            own_wall -= lap_wall
            own_cpu -= lap_wall * ratio
        spent = collected._spent(name)
        spent.wall += own_wall
        spent.cpu += own_cpu
        spent.count += 1
        if collected._stack:  # the enclosing phase loses the whole of this one
            collected._stack[-1].inner_wall += wall
            collected._stack[-1].inner_cpu += cpu


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
