"""The import rules of the browser app (README's architecture section), read from
the source of static/js (no browser, no server): no import cycle among its ES
modules, and every imported module exists. A lower module never imports the
modules that drive it; they hand it their functions at start (chat.js) or
through hooks.js and the ``ginchat:*`` events. ESLint (`make lint-js`) checks
the rest: undefined names, unused ones, names a module does not export."""

import os
import re
import sys

from tests.test_architecture import cycles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JS = os.path.join(ROOT, "static", "js")

BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
# import x from './a.js'; import { a, b } from './a.js'; export { a } from './a.js';
# export * from './a.js'; import './a.js' (the statement may span lines).
STATEMENT = re.compile(
    r"^\s*(?:import|export)\b(?:[^;'\"]*?\bfrom)?\s*['\"](\./[^'\"]+)['\"]",
    re.MULTILINE,
)


def module_names():
    return sorted(name[:-3] for name in os.listdir(JS) if name.endswith(".js"))


def imports_of(name):
    """The modules of static/js that ``name``.js imports (or re-exports from)."""
    with open(os.path.join(JS, f"{name}.js"), encoding="utf-8") as fh:
        source = LINE_COMMENT.sub("", BLOCK_COMMENT.sub("", fh.read()))
    found = set()
    for target in STATEMENT.findall(source):
        path = os.path.normpath(target)
        assert path.endswith(".js") and os.sep not in path, f"{name}.js imports {target}: only ./x.js of static/js"
        found.add(path[:-3])
    return found


def graph():
    return {name: imports_of(name) for name in module_names()}


def describe(group, edges):
    """One cycle through the group, as "a.js -> b.js -> ... -> a.js", for the message."""
    members = set(group)
    path = [group[0]]
    while True:
        step = sorted(edges[path[-1]] & members)
        nxt = next((n for n in step if n == path[0] or n not in path), step[0])
        if nxt in path:
            path = path[path.index(nxt) :] + [nxt]
            return " -> ".join(f"{n}.js" for n in path)
        path.append(nxt)


def test_the_parser_sees_every_form_of_import(tmp_path, monkeypatch):
    folder = tmp_path / "js"
    folder.mkdir()
    (folder / "a.js").write_text(
        "// import { nothing } from './ghost.js';\n"
        "/* import { neither } from './ghost.js'; */\n"
        "import * as b from './b.js';\n"
        "import {\n  one,\n  two,\n} from './c.js';\n"
        "import './d.js';\n"
        "export { e } from './e.js';\n"
        'export * from "./f.js";\n'
        "const url = 'import x from ./g.js';\n"
        "const later = await import('./h.js');\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "JS", str(folder))
    assert imports_of("a") == {"b", "c", "d", "e", "f"}


def test_every_imported_module_exists():
    edges = graph()
    missing = sorted(
        f"{name}.js imports {target}.js" for name, targets in edges.items() for target in targets if target not in edges
    )
    assert missing == []


def test_no_import_cycle_among_the_browser_modules():
    edges = graph()
    found = [
        describe(group, edges) + (f" (one of the cycles among {', '.join(group)})" if len(group) > 2 else "")
        for group in cycles(edges)
    ]
    assert found == [], (
        "import cycle in static/js: " + "; ".join(found) + ". The lower module must not import the one that drives it:"
        " hand the function in at start (chat.js) or use hooks.js or a ginchat:* event."
    )


def test_the_cycle_check_names_a_cycle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [describe(group, edges) for group in cycles(edges)] == ["a.js -> b.js -> c.js -> a.js"]
