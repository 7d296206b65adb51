"""No import circles between entitylink's modules, imports inside functions included.

The graph is grimp's (import-linter's engine): every ``import`` statement it finds in the source,
at module level, inside functions and methods (the lazy imports that keep ``--help`` fast) and
under ``if TYPE_CHECKING:``. A circle is a strongly connected component of two or more modules.

Nothing is excluded: no package ``__init__`` edge closes a circle today (the root
``entitylink/__init__.py`` imports its public modules under ``TYPE_CHECKING``, and no module
imports the root package back). What grimp cannot see, and this test therefore does not check:
imports by string (``importlib.import_module``, the root package's lazy ``_SOURCES`` map, the
spaCy factory entry point) and the implicit import of parent packages that Python makes when it
imports a submodule.
"""

from __future__ import annotations

import grimp
import pytest

ROOT = "entitylink"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(ROOT, cache_dir=None)


def _imports(graph: grimp.ImportGraph, module: str) -> list[str]:
    found = graph.find_modules_directly_imported_by(module)
    return sorted(m for m in found if m == ROOT or m.startswith(f"{ROOT}."))


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of two or more modules (Tarjan, iteratively)."""
    modules = sorted(m for m in graph.modules if m == ROOT or m.startswith(f"{ROOT}."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in modules:
        if start in index:
            continue
        work = [(start, iter(_imports(graph, start)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(_imports(graph, target))))
            elif target in on_stack:
                low[module] = min(low[module], index[target])
    return found


def _describe(graph: grimp.ImportGraph, component: list[str]) -> str:
    members = set(component)
    lines = []
    for module in component:
        for target in _imports(graph, module):
            if target in members:
                for detail in graph.get_import_details(importer=module, imported=target):
                    where = f"{module}:{detail['line_number']}"
                    lines.append(f"  {where}: {detail['line_contents']}")
    return "\n".join(lines)


def test_the_graph_holds_imports_made_inside_functions(graph: grimp.ImportGraph) -> None:
    """The method's premise: grimp records an import written inside a function."""
    assert graph.direct_import_exists(  # onnx_files(): `from .export import export_onnx`
        importer="entitylink.encoding.onnx", imported="entitylink.encoding.export"
    )
    assert graph.direct_import_exists(  # SpacyDetector.load(): `from .spacy_component import`
        importer="entitylink.linking.spacy_detector",
        imported="entitylink.linking.spacy_component",
    )


def test_circles_are_found() -> None:
    """The search itself, on a graph with one circle of three modules and a tail."""
    graph = grimp.ImportGraph()
    for name in ("entitylink", "entitylink.a", "entitylink.b", "entitylink.c", "entitylink.d"):
        graph.add_module(name)
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")):
        graph.add_import(importer=f"{ROOT}.{importer}", imported=f"{ROOT}.{imported}")
    assert circles(graph) == [["entitylink.a", "entitylink.b", "entitylink.c"]]


def test_no_import_circles(graph: grimp.ImportGraph) -> None:
    found = circles(graph)
    report = "\n\n".join(_describe(graph, component) for component in found)
    assert not found, f"import circles between entitylink modules:\n{report}"
