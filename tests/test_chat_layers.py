"""The chat side's structure, read from the source (no server): the bus
carries bytes and imports nothing of the app's tables or rules, and the
chat and bus modules import each other without a cycle."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "ginchat"


def imports_of(path):
    """The ginchat modules a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("ginchat"):
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("ginchat"))
    return found


def modules(package):
    return {
        f"ginchat.{package}.{p.stem}" if p.stem != "__init__" else f"ginchat.{package}": p
        for p in (ROOT / package).glob("*.py")
    }


# The leaves the bus may use: JSON as sent (one dumps for every packet and frame).
LEAVES = ("ginchat.utils.wire",)


def test_the_bus_imports_nothing_but_itself_and_leaves():
    for name, path in modules("bus").items():
        outside = {m for m in imports_of(path) if not m.startswith(("ginchat.bus", *LEAVES))}
        assert not outside, (name, outside)


def test_chat_and_bus_modules_import_each_other_without_a_cycle():
    known = {**modules("chat"), **modules("bus")}
    graph = {name: {m for m in imports_of(path) if m in known and m != name} for name, path in known.items()}
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(name) :] + [name]))
        if name in done:
            return
        path.append(name)
        for dep in sorted(graph[name]):
            visit(dep)
        path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
