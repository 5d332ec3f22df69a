"""Every text of the interface has its Chinese (issue 26).

The browser's modules translate with t('English text', {params}) and the
catalogue static/i18n/zh-CN.json; the pages and the server's flash messages
with gettext (_(), _l(), ngettext()) and ginchat/translations. These tests
read the sources, collect every text so marked, and fail on one that has no
Chinese, on a translation whose placeholders differ from its source's, and
on catalogue entries nothing uses any more.
"""

import json
import os
import re

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JS_DIR = os.path.join(ROOT, "static", "js")
CATALOGUE = os.path.join(ROOT, "static", "i18n", "zh-CN.json")
TEMPLATES = os.path.join(ROOT, "templates")
PO = os.path.join(ROOT, "ginchat", "translations", "zh_Hans_CN", "LC_MESSAGES", "messages.po")
# The Python modules whose texts reach the pages (forms, flash messages).
PY_SOURCES = [os.path.join(ROOT, "ginchat", "service", "index.py")]

_STRING = re.compile(r"'((?:[^'\\\n]|\\.)*)'|\"((?:[^\"\\\n]|\\.)*)\"")
_JS_CALL = re.compile(r"(?<![\w.$])t\(")
_PY_CALL = re.compile(r"(?<![\w.])(?:_|_l|gettext|lazy_gettext|ngettext)\(")


def _unescape(text):
    return re.sub(r"\\(.)", r"\1", text)


def _first_argument(source, start):
    """The source of the call's first argument, from ``start`` (just after the
    opening parenthesis) to the first comma or closing parenthesis at depth 0."""
    depth, i, quote = 0, start, None
    while i < len(source):
        ch = source[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        i += 1
    return source[start:i]


def _strip_comments(source):
    return re.sub(r"^\s*//.*$", "", source, flags=re.M)


def js_texts():
    """{text: [files]} of every t('...') of the browser's modules: each string
    literal of the first argument (a ternary gives two)."""
    found = {}
    for name in sorted(os.listdir(JS_DIR)):
        if not name.endswith(".js") or name == "i18n.js":  # i18n.js defines t()
            continue
        source = _strip_comments(open(os.path.join(JS_DIR, name), encoding="utf-8").read())
        for call in _JS_CALL.finditer(source):
            argument = _first_argument(source, call.end())
            assert "`" not in argument, f"{name}: t() takes a plain string, not a template: t({argument})"
            texts = [_unescape(a or b) for a, b in _STRING.findall(argument)]
            assert texts, f"{name}: t() of no string literal: t({argument})"
            for text in texts:
                found.setdefault(text, []).append(name)
    return found


def page_texts():
    """Every gettext text of the templates and of the page handlers
    (ngettext gives its singular and plural)."""
    found = {}
    files = [os.path.join(TEMPLATES, n) for n in sorted(os.listdir(TEMPLATES)) if n.endswith(".html")]
    for path in files + PY_SOURCES:
        source = open(path, encoding="utf-8").read()
        for call in _PY_CALL.finditer(source):
            end = call.end()
            literals = []
            # the first argument, and for ngettext the second
            for _ in range(2 if source[call.start() : end].startswith("ngettext") else 1):
                argument = _first_argument(source, end)
                literals += [_unescape(a or b) for a, b in _STRING.findall(argument)]
                end += len(argument) + 1
            if not literals:
                continue  # a variable: translated(exc.msg) and the like
            for text in literals:
                found.setdefault(text, []).append(os.path.basename(path))
    return found


def _placeholders_js(text):
    return sorted(re.findall(r"\{(\w+)\}", text))


def _placeholders_py(text):
    return sorted(re.findall(r"%\((\w+)\)[sd]", text))


def test_the_app_has_texts_to_translate():
    # The extraction itself works: a few texts every version of the app has.
    js, pages = js_texts(), page_texts()
    assert {"Connected", "Settings", "New messages", "{n} member", "{n} members"} <= set(js)
    assert {"Log in", "Password", "Chats", "%(num)d members"} <= set(pages)
    assert len(js) > 300, len(js)


def test_every_text_of_the_browser_modules_has_its_chinese():
    catalogue = json.load(open(CATALOGUE, encoding="utf-8"))
    missing = {text: files for text, files in js_texts().items() if not catalogue.get(text)}
    assert not missing, f"texts without a Chinese entry in static/i18n/zh-CN.json: {missing}"


def test_the_browser_catalogue_keeps_placeholders_and_no_dead_entries():
    catalogue = json.load(open(CATALOGUE, encoding="utf-8"))
    used = js_texts()
    dead = sorted(set(catalogue) - set(used))
    assert not dead, f"entries of zh-CN.json that no module uses: {dead}"
    wrong = {k: v for k, v in catalogue.items() if _placeholders_js(k) != _placeholders_js(v)}
    assert not wrong, f"translations whose {{placeholders}} differ from the English: {wrong}"
    english = {
        k: v
        for k, v in catalogue.items()
        if not re.search(r"[\u4e00-\u9fff]", v) and re.search("[a-z]{3}", re.sub(r"\{\w+\}", "", v))
    }
    assert not english, f"entries left in English: {english}"


def test_every_text_of_the_pages_has_its_chinese():
    with open(PO, "rb") as src:
        catalog = read_po(src, locale="zh_Hans_CN")
    have = {}
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            have[msgid] = strings
    missing = {text: files for text, files in page_texts().items() if not all(have.get(text) or [""])}
    assert not missing, f"texts without Chinese in {os.path.relpath(PO, ROOT)}: {missing}"
    wrong = {
        msgid: strings
        for msgid, strings in have.items()
        if any(_placeholders_py(msgid) != _placeholders_py(s) for s in strings if s) and not msgid.startswith("%(num)d")
    }
    assert not wrong, f"translations whose %(placeholders)s differ from the English: {wrong}"
