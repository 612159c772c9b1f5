"""The prerequisite graph: cycles refused and named, closure and order correct."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.engine.graph import CycleError, PrerequisiteGraph, without_cycles


def test_edges_and_transitive_prerequisites() -> None:
    graph = PrerequisiteGraph.from_edges("abcd", [("b", "a"), ("c", "b"), ("d", "a")])
    assert graph.requires("c") == ["b"]
    assert graph.all_prerequisites("c") == {"a", "b"}
    assert graph.all_prerequisites("a") == set()
    assert graph.requires("unknown") == []


def test_duplicate_edge_is_recorded_once() -> None:
    graph = PrerequisiteGraph.from_edges("ab", [("b", "a"), ("b", "a")])
    assert graph.requires("b") == ["a"]


def test_add_edge_adds_missing_nodes() -> None:
    graph = PrerequisiteGraph()
    graph.add_edge("quadratics", "algebra")
    assert set(graph.nodes) == {"quadratics", "algebra"}


def test_cycle_error_names_the_cycle_in_order() -> None:
    names = {"a": "Algebra", "q": "Quadratics", "s": "Sequences"}
    graph = PrerequisiteGraph.from_edges("aqs", [("q", "a"), ("s", "q")], names)
    with pytest.raises(CycleError) as caught:
        graph.add_edge("a", "s")  # Algebra would require Sequences, which requires Algebra
    assert caught.value.cycle == ["a", "s", "q", "a"]
    assert str(caught.value) == "prerequisite cycle: Algebra -> Sequences -> Quadratics -> Algebra"
    assert isinstance(caught.value, ValueError)
    assert graph.requires("a") == []  # the refused edge left no trace


def test_self_prerequisite_is_a_cycle() -> None:
    with pytest.raises(CycleError) as caught:
        PrerequisiteGraph().add_edge("a", "a")
    assert caught.value.cycle == ["a", "a"]
    assert str(caught.value) == "prerequisite cycle: a -> a"


def test_topological_order_ties_keep_insertion_order() -> None:
    graph = PrerequisiteGraph.from_edges(["z", "y", "x"], [("z", "x")])
    assert graph.topological_order() == ["x", "z", "y"]


edge_lists = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=25)


@settings(max_examples=300, deadline=None)
@given(edge_lists)
def test_graph_stays_acyclic_and_every_refusal_is_a_real_cycle(edges: list[tuple[int, int]]) -> None:
    graph = PrerequisiteGraph(str(n) for n in range(8))
    accepted: set[tuple[str, str]] = set()
    for topic, prerequisite in ((str(a), str(b)) for a, b in edges):
        try:
            graph.add_edge(topic, prerequisite)
        except CycleError as error:
            cycle = error.cycle
            assert cycle[0] == cycle[-1] == topic
            steps = list(zip(cycle, cycle[1:]))
            assert steps[0] == (topic, prerequisite)
            assert all(step in accepted for step in steps[1:])
        else:
            accepted.add((topic, prerequisite))

    order = graph.topological_order()
    assert sorted(order) == sorted(graph.nodes)
    position = {node: i for i, node in enumerate(order)}
    assert all(position[prerequisite] < position[topic] for topic, prerequisite in accepted)
    for node in graph.nodes:
        reachable = graph.all_prerequisites(node)
        assert node not in reachable
        assert {p for t, p in accepted if t == node} <= reachable
        assert all(position[p] < position[node] for p in reachable)


def test_without_cycles_keeps_the_older_edges_and_names_the_refused_cycle() -> None:
    edges = [("b", "a"), ("c", "b"), ("a", "c"), ("d", "a")]  # ("a", "c") closes a -> c -> b -> a
    kept, refused = without_cycles("abcd", edges, {"a": "Alpha"})
    assert kept == [("b", "a"), ("c", "b"), ("d", "a")]
    assert [e.cycle for e in refused] == [["a", "c", "b", "a"]] and "Alpha" in str(refused[0])
    assert without_cycles("abcd", edges[:2], None) == (edges[:2], [])
