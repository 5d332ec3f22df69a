"""The chat engine's collaborators are given what they use (issue 31): no
class of ginchat/chat or ginchat/bus but the engine itself keeps the engine
(``self.engine``), so none reaches the others through it; and the bus takes
no engine at all, only callables (deliver, on_event, the catch-up's reads).
Read from the source, like test_architecture.py."""

import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("chat", "bus")
ENGINE = os.path.join("ginchat", "chat", "engine.py")


def sources():
    """(relative path, syntax tree) of every module of ginchat/chat and ginchat/bus."""
    for package in PACKAGES:
        folder = os.path.join(ROOT, "ginchat", package)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as fh:
                    yield os.path.relpath(path, ROOT), ast.parse(fh.read(), path)


def test_no_collaborator_keeps_the_engine():
    kept = [
        f"{path}:{node.lineno}"
        for path, tree in sources()
        if path != ENGINE
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "engine"
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ]
    assert kept == [], "give the collaborator the callables or maps it uses, not the engine"


def test_the_bus_takes_no_engine():
    named = [
        f"{path}:{node.lineno} {node.name}"
        for path, tree in sources()
        if path.startswith(os.path.join("ginchat", "bus"))
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(arg.arg == "engine" for arg in node.args.args + node.args.kwonlyargs)
    ]
    assert named == [], "the bus is given deliver and on_event callables"
