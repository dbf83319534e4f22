"""Independent corroboration, as the spec's "Independent sources" section defines it.

The origin of an appearance is the set of roots reached by following its `via` sources (or,
where it has none, its source's `cites`) to sources that cite nothing; an appearance with
neither has its own source as origin. Two appearances are dependent when their origins share
a source or their sources share an outlet. The number of independent sources is the number of
groups of mutually dependent appearances (connected components of "dependent").
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class AppearanceLink:
    """What corroboration needs of one appearance: its source, the source's outlet, its via."""

    source: int
    outlet: int | None
    via: tuple[int, ...] = ()


class CitationGraph:
    """Which sources each source cites; finds roots with memoisation, safe against cycles."""

    def __init__(self, cites: Mapping[int, Sequence[int]]) -> None:
        self._cites = cites
        self._roots: dict[int, frozenset[int]] = {}

    def citing_sources(self) -> list[int]:
        """The sources that cite at least one other."""
        return [source for source, cited in self._cites.items() if cited]

    def cited(self, source: int) -> Sequence[int]:
        return self._cites.get(source, ())

    def roots(self, source: int) -> frozenset[int]:
        if source in self._roots:
            return self._roots[source]
        found: set[int] = set()
        seen = {source}
        stack = [source]
        while stack:
            current = stack.pop()
            cited = self._cites.get(current, ())
            if not cited:
                found.add(current)
            for nxt in cited:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        if not found:  # every path loops back: the cycle's members are the origin
            found = seen
        self._roots[source] = frozenset(found)
        return self._roots[source]

    def origin(self, link: AppearanceLink) -> frozenset[int]:
        starts: Iterable[int] = link.via or self._cites.get(link.source, ())
        origin: set[int] = set()
        for start in starts:
            origin |= self.roots(start)
        return frozenset(origin) if origin else frozenset({link.source})


def dependent_groups(links: Sequence[AppearanceLink], graph: CitationGraph) -> list[list[int]]:
    """The groups of mutually dependent appearances, as lists of indexes into `links`."""
    parent = list(range(len(links)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    # Join appearances through shared origin sources and shared outlets: linear in the
    # appearances rather than comparing every pair.
    first_with: dict[tuple[str, int], int] = {}
    for i, link in enumerate(links):
        tokens = [("source", s) for s in graph.origin(link)]
        if link.outlet is not None:
            tokens.append(("outlet", link.outlet))
        for token in tokens:
            if token in first_with:
                union(i, first_with[token])
            else:
                first_with[token] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(links)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def independent_source_count(links: Sequence[AppearanceLink], graph: CitationGraph) -> int:
    return len(dependent_groups(links, graph))


@dataclass(frozen=True)
class DependentGroup:
    """One group of mutually dependent appearances and what ties it together.

    `members` are indexes into the links given; `shared_origins` maps an origin source to the
    members that trace to it, and `shared_outlets` an outlet to the members published by it,
    each only where two or more members share it.
    """

    members: tuple[int, ...]
    shared_origins: dict[int, tuple[int, ...]]
    shared_outlets: dict[int, tuple[int, ...]]


def dependent_groups_explained(
    links: Sequence[AppearanceLink], graph: CitationGraph
) -> list[DependentGroup]:
    """dependent_groups, each with the shared origins and outlets that make it one group."""
    explained = []
    for members in dependent_groups(links, graph):
        origins: dict[int, list[int]] = {}
        outlets: dict[int, list[int]] = {}
        for i in members:
            for source in sorted(graph.origin(links[i])):
                origins.setdefault(source, []).append(i)
            if links[i].outlet is not None:
                outlets.setdefault(links[i].outlet, []).append(i)
        explained.append(
            DependentGroup(
                members=tuple(members),
                shared_origins={s: tuple(m) for s, m in origins.items() if len(m) > 1},
                shared_outlets={o: tuple(m) for o, m in outlets.items() if len(m) > 1},
            )
        )
    return explained
