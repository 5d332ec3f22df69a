"""The import rules of README's architecture section, read from the source
(no server, no import of the code): no import cycle between ginchat's modules
or between its packages, and no ginchat import inside a function unless a
``# why:`` comment on that line gives the reason. The layer rules themselves
are import-linter's contracts in pyproject.toml (`make lint`)."""

import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "ginchat")
WHY = re.compile(r"#\s*why:", re.IGNORECASE)


def modules():
    """{dotted name: path} of every module of ginchat."""
    found = {}
    for folder, _dirs, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def resolve(module, node, known):
    """The ginchat modules an import statement in ``module`` names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module if known[module].endswith("__init__.py") else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}".rstrip(".") if base else package
        # ``from pkg import sub`` names the module pkg.sub when there is one.
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    targets = set()
    for name in names:
        while name and name not in known:  # ``import ginchat.a.b`` of a name inside a module
            name = name.rpartition(".")[0]
        if name.startswith("ginchat") and name != module:
            targets.add(name)
    return targets


def imports():
    """(edges, unexplained): the import graph of ginchat's modules, counting
    imports inside functions unless they give a reason, and the in-function
    imports that give none, as "path:line: statement"."""
    known = modules()
    edges = {name: set() for name in known}
    unexplained = []
    for module, path in sorted(known.items()):
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
        lines = source.splitlines()
        tree = ast.parse(source, path)
        in_function = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                in_function.update(id(inner) for inner in ast.walk(node) if inner is not node)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets = resolve(module, node, known)
            if not targets:
                continue
            if id(node) in in_function:
                text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                if WHY.search(text):
                    continue  # a declared exception, reason given
                unexplained.append(f"{os.path.relpath(path, ROOT)}:{node.lineno}: {text.strip()}")
            edges[module] |= targets
    return edges, unexplained


def cycles(edges):
    """Every strongly connected group of more than one node (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def package_of(module):
    """ginchat.chat.engine -> ginchat.chat; a top-level module is its own package."""
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_modules():
    edges, _ = imports()
    assert cycles(edges) == []


def test_no_import_cycle_between_packages():
    edges, _ = imports()
    packages = {}
    for module, targets in edges.items():
        if module == "ginchat":
            continue  # the app factory: it assembles every package
        here = package_of(module)
        packages.setdefault(here, set()).update(
            package_of(t) for t in targets if t != "ginchat" and package_of(t) != here
        )
    assert cycles(packages) == []


def test_no_unexplained_import_inside_a_function():
    _, unexplained = imports()
    assert unexplained == [], "say why on the line (# why: ...), or import at the top of the module"
