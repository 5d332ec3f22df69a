"""The interface language (issue 26): English or Simplified Chinese.

Each request gets one: the account's own choice (user_basic.language, set in
the Me tab), else the best of the browser's Accept-Language, else English.
Flask-Babel translates the pages, forms and flash messages with it from
ginchat/translations/<locale>/LC_MESSAGES/messages.po; the catalogues are
compiled at start-up into a folder of the process's own, so no step runs by
hand and no compiled file is kept in git. The browser's modules translate
themselves with static/i18n/<language>.json (static/js/i18n.js), told the
language by ``<html lang>``. API error messages (``Msg``) stay English.
"""

import atexit
import os
import shutil
import tempfile

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, has_request_context, request
from flask_babel import Babel, gettext
from flask_login import current_user

# The languages there are, as <html lang> and the setting name them; "" in
# the setting: follow the browser. English is the source language.
LANGUAGES = ("en", "zh-CN")
DEFAULT = "en"
BABEL_LOCALE = {"en": "en", "zh-CN": "zh_Hans_CN"}  # the folder of each catalogue
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")

babel = Babel()


def browser_language(accept):
    """The first language of ``accept`` (werkzeug's LanguageAccept, best first)
    that GinChat speaks: every Chinese tag (zh, zh-CN, zh-Hans, zh-SG, zh-TW...)
    gets Simplified Chinese, every English one English; None for none."""
    for tag, _quality in accept:
        tag = tag.lower()
        if tag == "zh" or tag.startswith("zh-") or tag.startswith("zh_"):
            return "zh-CN"
        if tag == "en" or tag.startswith("en-") or tag.startswith("en_"):
            return "en"
    return None


def language():
    """This request's language: one of LANGUAGES."""
    if not has_request_context():
        return DEFAULT
    if "language" not in g:
        chosen = ""
        if current_user and current_user.is_authenticated:
            chosen = getattr(current_user, "language", "") or ""
        g.language = chosen if chosen in LANGUAGES else browser_language(request.accept_languages) or DEFAULT
    return g.language


def check_language(value):
    """A setting as stored, or None when ``value`` is not one: "", "en" or "zh-CN"
    (any case, "_" for "-")."""
    value = (value or "").strip().replace("_", "-")
    if not value:
        return ""
    return next((lang for lang in LANGUAGES if lang.lower() == value.lower()), None)


def translated(message):
    """``message`` in this request's language when the catalogue has it (a
    flashed error of the rules, say), else as it is."""
    return gettext(message) if message else message


def compile_catalogues(source=SOURCE):
    """Every messages.po under ``source`` compiled into a new folder of this
    process (removed when it exits); that folder."""
    target = tempfile.mkdtemp(prefix="ginchat-i18n-")
    atexit.register(shutil.rmtree, target, True)
    for locale in sorted(os.listdir(source)):
        po = os.path.join(source, locale, "LC_MESSAGES", "messages.po")
        if not os.path.isfile(po):
            continue
        os.makedirs(os.path.join(target, locale, "LC_MESSAGES"))
        with open(po, "rb") as src:
            catalog = read_po(src, locale=locale)
        with open(os.path.join(target, locale, "LC_MESSAGES", "messages.mo"), "wb") as out:
            write_mo(out, catalog)
    return target


_compiled = []  # one compilation per process, shared by its apps (tests make many)


def init_app(app):
    if not _compiled:
        _compiled.append(compile_catalogues())
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = _compiled[0]
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    babel.init_app(app, locale_selector=lambda: BABEL_LOCALE[language()])

    @app.context_processor
    def language_of_page():
        return {"html_lang": language()}
