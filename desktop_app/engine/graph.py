"""Prerequisite graph of topics: a DAG, with cycles refused at the door.

A cycle would make "prerequisites first" meaningless (nothing could ever be unlocked),
so every way into the graph goes through `add_edge`, which names the cycle it refuses.
"""
from __future__ import annotations

from collections.abc import Iterable
from graphlib import CycleError as _GraphlibCycle
from graphlib import TopologicalSorter


class CycleError(ValueError):
    """Adding an edge would close a cycle; `cycle` lists the nodes in order, first == last."""

    def __init__(self, cycle: list[str], names: dict[str, str] | None = None) -> None:
        self.cycle = cycle
        label = [names.get(n, n) if names else n for n in cycle]
        super().__init__("prerequisite cycle: " + " -> ".join(label))


class PrerequisiteGraph:
    """Edges point from a topic to each topic it requires (`topic -> prerequisite`)."""

    def __init__(self, nodes: Iterable[str] = (), names: dict[str, str] | None = None) -> None:
        self._requires: dict[str, list[str]] = {n: [] for n in nodes}
        self._names = names or {}

    @classmethod
    def from_edges(
        cls, nodes: Iterable[str], edges: Iterable[tuple[str, str]], names: dict[str, str] | None = None
    ) -> "PrerequisiteGraph":
        graph = cls(nodes, names)
        for topic, prerequisite in edges:
            graph.add_edge(topic, prerequisite)
        return graph

    @property
    def nodes(self) -> list[str]:
        return list(self._requires)

    def add_node(self, node: str) -> None:
        self._requires.setdefault(node, [])

    def requires(self, node: str) -> list[str]:
        return list(self._requires.get(node, ()))

    def add_edge(self, topic: str, prerequisite: str) -> None:
        """Record that `topic` requires `prerequisite`; raise CycleError if that closes a cycle."""
        self.add_node(topic)
        self.add_node(prerequisite)
        if prerequisite in self._requires[topic]:
            return
        path = self._path(prerequisite, topic)
        if path is not None:
            raise CycleError([topic, *path], self._names)
        self._requires[topic].append(prerequisite)

    def _path(self, start: str, goal: str) -> list[str] | None:
        """A path start -> ... -> goal along `requires` edges, or None (iterative DFS)."""
        if start == goal:
            return [start]
        parent: dict[str, str | None] = {start: None}
        stack = [start]
        while stack:
            node = stack.pop()
            for nxt in self._requires[node]:
                if nxt in parent:
                    continue
                parent[nxt] = node
                if nxt == goal:
                    path = [goal]
                    while parent[path[-1]] is not None:
                        path.append(parent[path[-1]])  # type: ignore[arg-type]
                    return list(reversed(path))
                stack.append(nxt)
        return None

    def all_prerequisites(self, node: str) -> set[str]:
        """Every topic `node` depends on, directly or through others."""
        seen: set[str] = set()
        stack = list(self._requires.get(node, ()))
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(self._requires[n])
        return seen

    def topological_order(self) -> list[str]:
        """Prerequisites before dependents; ties keep insertion order (deterministic)."""
        order: list[str] = []
        done: set[str] = set()
        for root in self._requires:
            if root in done:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            while stack:
                node, i = stack.pop()
                reqs = self._requires[node]
                if i < len(reqs):
                    stack.append((node, i + 1))
                    if reqs[i] not in done:
                        stack.append((reqs[i], 0))
                elif node not in done:
                    done.add(node)
                    order.append(node)
        return order


def without_cycles(nodes: Iterable[str], edges: list[tuple[str, str]],
                   names: dict[str, str] | None = None) -> tuple[list[tuple[str, str]], list[CycleError]]:
    """`edges` (topic, prerequisite) in their order, less each one that would close a cycle
    with the edges kept before it; and the cycles so refused.

    Why: content that arrives by sync was checked on one laptop only. Two teachers can each
    publish a sound version (one makes A require B, the other B require A), and together
    they form a cycle that would stop practice and planning on every device. Given the
    edges in the same order (their clock stamps), every device keeps the same ones. The
    usual case, no cycle, is one linear check.
    """
    node_list = list(nodes)
    sorter: TopologicalSorter[str] = TopologicalSorter({n: () for n in node_list})
    for topic, prerequisite in edges:
        sorter.add(topic, prerequisite)
    try:
        sorter.prepare()
        return list(edges), []
    except _GraphlibCycle:
        pass
    graph = PrerequisiteGraph(node_list, names)
    kept, refused = [], []
    for edge in edges:
        try:
            graph.add_edge(*edge)
        except CycleError as exc:
            refused.append(exc)
            continue
        kept.append(edge)
    return kept, refused
