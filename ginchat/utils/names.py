"""User and group names: the one normal form and lookup key that every
lookup, uniqueness check and login limit uses, and the rules that keep a name
from passing for another one (Unicode TR39: invisible characters, combining
tricks, mixed scripts, confusable skeletons).

The script of each character and the TR39 skeleton come from disarm (pinned in
requirements.txt); everything else is Python's own unicodedata.
"""

import re
import unicodedata

from disarm import detect_scripts, skeleton_key
from pypinyin import Style, lazy_pinyin

from ginchat.errors import bad_request
from ginchat.utils.cjk import CJK_RUN

KEY_MAX = 64  # the width of the name_key and name_skeleton columns
MAX_MARKS = 3  # combining marks on one letter (Vietnamese needs two)

# Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties): characters
# that render as nothing. Most are format characters (Cf); these ranges also
# catch the fillers and joiners that are letters or marks by category.
_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Shown as blank though no property says so.
_BLANK = {0x2800}  # BRAILLE PATTERN BLANK
# Control, format, surrogate, private use, unassigned; space and separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}

# TR39 section 5.2, "Highly Restrictive": the script sets one writing system uses.
_ONE_WRITING_SYSTEM = (
    {"Latin", "Han", "Hiragana", "Katakana"},  # Japanese
    {"Latin", "Han", "Bopomofo"},  # Chinese
    {"Latin", "Han", "Hangul"},  # Korean
)
# TR31's Recommended scripts; "Moderately Restrictive" lets one of them, but
# not Cyrillic or Greek (their letters pass for Latin ones), join Latin.
_RECOMMENDED = {
    "Arabic",
    "Armenian",
    "Bengali",
    "Bopomofo",
    "Cyrillic",
    "Devanagari",
    "Ethiopic",
    "Georgian",
    "Greek",
    "Gujarati",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hebrew",
    "Hiragana",
    "Kannada",
    "Katakana",
    "Khmer",
    "Lao",
    "Latin",
    "Malayalam",
    "Myanmar",
    "Oriya",
    "Sinhala",
    "Tamil",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
}
_MAY_JOIN_LATIN = _RECOMMENDED - {"Latin", "Cyrillic", "Greek"}


def normal_form(name):
    """The form a name is stored and shown in: NFKC, so that compatibility
    look-alikes (fullwidth ``ｂｏｂ``, ``ſ``, ligatures) become the plain letters."""
    return unicodedata.normalize("NFKC", name or "")


def name_key(name):
    """The lookup key of a name: NFKC, case-folded and NFKC again (case folding
    can undo the normal form), so "Bob", "bob", "ＢＯＢ" and "ſam"/"sam" are one."""
    return unicodedata.normalize("NFKC", normal_form(name).casefold())


def skeleton(name):
    """The TR39 skeleton of a name (lower case; 1, I and l are one letter, so
    are 0 and O): two names with one skeleton can be mistaken for each other."""
    return skeleton_key(normal_form(name), digit_policy="tr39")


def _describe(ch):
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unassigned')}"


def _invisible(ch):
    code = ord(ch)
    return (
        unicodedata.category(ch) in _REFUSED_CATEGORIES
        or code in _BLANK
        or any(low <= code <= high for low, high in _IGNORABLE)
    )


def _check_characters(name, what):
    for ch in name:
        if ch != " " and _invisible(ch):  # plain spaces: the name's own pattern decides
            raise bad_request(
                f"{what} must not contain invisible, formatting or unusual space characters ({_describe(ch)})"
            )


def _check_marks(name, what):
    """TR39 5.4: no mark without a letter, no mark twice in a row, no stacks."""
    before, run = " ", 0
    for ch in unicodedata.normalize("NFD", name):
        if not unicodedata.category(ch).startswith("M"):
            before, run = ch, 0
            continue
        if before == " ":
            raise bad_request(f"{what} must not start with a combining mark ({_describe(ch)})")
        if ch == before:
            raise bad_request(f"{what} must not repeat a combining mark ({_describe(ch)})")
        run += 1
        if run > MAX_MARKS:
            raise bad_request(f"{what} must not stack more than {MAX_MARKS} combining marks on one letter")
        before = ch


def scripts_of(name):
    """The scripts of a name's letters (Common and Inherited ones, such as
    digits, punctuation and marks, belong to none). A letter of a script disarm
    does not resolve counts as a script of its own, named as Unicode names it."""
    found = set()
    for ch in name:
        resolved = [s.value for s in detect_scripts(ch) if s.value not in ("Common", "Inherited")]
        if resolved:
            found.add(resolved[0])
        elif unicodedata.category(ch).startswith("L"):
            found.add(unicodedata.name(ch, "Unknown").split()[0].title())
    return found


def _check_scripts(name, what):
    """TR39 5.2 "Moderately Restrictive": one script, or one writing system's
    set, or Latin with one Recommended script other than Cyrillic or Greek."""
    scripts = scripts_of(name)
    if len(scripts) <= 1 or any(scripts <= allowed for allowed in _ONE_WRITING_SYSTEM):
        return
    others = scripts - {"Latin"}
    if "Latin" in scripts and len(others) == 1 and others <= _MAY_JOIN_LATIN:
        return
    listed = sorted(scripts)
    raise bad_request(f"{what} mixes {', '.join(listed[:-1])} and {listed[-1]} letters, which can pass for one another")


def check_lookalikes(name, what="name"):
    """Refuse (400) a name, in its normal form, that hides characters or could
    pass for another name (plain spaces are left to the caller's pattern)."""
    _check_characters(name, what)
    _check_marks(name, what)
    _check_scripts(name, what)
    if len(name_key(name)) > KEY_MAX or len(skeleton(name)) > KEY_MAX:
        raise bad_request(f"{what} is too long once normalised")
    if not skeleton(name):
        raise bad_request(f"{what} has no letter or sign that can be told apart")
    return name


DISPLAY_MAX = 64  # characters of a display name, in its normal form
DISPLAY_KEY_MAX = 128  # the width of the display_key column (case folding may lengthen a name)


def check_display_name(text):
    """A display name as stored: NFKC, inner runs of blanks made one space,
    no control, format or invisible characters, no combining-mark tricks,
    at most DISPLAY_MAX characters. "" means none (the handle is shown).
    Unlike a name it may hold spaces and is not unique: the UI shows the
    handle beside it wherever two could be mistaken."""
    text = " ".join(part for part in normal_form(text).split(" ") if part)
    for ch in text:
        if ch != " " and _invisible(ch):
            raise bad_request(
                f"display name must not contain control, invisible or formatting characters ({_describe(ch)})"
            )
    _check_marks(text, "display name")
    if len(text) > DISPLAY_MAX:
        raise bad_request(f"display name must be at most {DISPLAY_MAX} characters")
    if len(name_key(text)) > DISPLAY_KEY_MAX:
        raise bad_request("display name is too long once normalised")
    return text


def search_key(text):
    """What a people search compares with name_key and display_key: the same
    folding, so "ALI", "ａｌｉ" and "ali" find "Alice"."""
    return name_key(" ".join(part for part in normal_form(text).split() if part))


WORDS_MAX = 512  # the width of the name_words column
# What parts a name into words besides blanks: "alice.chen", "li-na", "王·小明".
_WORD_BREAK = re.compile(r"[\s\-_.·・,]+")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def _pinyin_forms(word):
    """A Chinese word's pinyin, whole and as initials (张伟: zhangwei, zw)."""
    syllables = [s for s in lazy_pinyin(word, style=Style.NORMAL, errors="ignore") if s.isascii() and s.isalpha()]
    if not syllables:
        return []
    return ["".join(syllables).lower(), "".join(s[0] for s in syllables).lower()]


def name_words(name, display_name):
    """The people search's words of an account, each the lookup form (name_key)
    and each preceded by a space, so that "% key%" finds a name by the start of
    any of its words: the name, every word of the display name, and for a
    Chinese name its pinyin, whole and as initials. A CJK word is also matched
    anywhere inside (search_people), for a Chinese name has no spaces."""
    words = []
    for text in (name, display_name):
        key = name_key(text) if text else ""
        words += [w for w in _WORD_BREAK.split(key) if w]
        for run in CJK_RUN.findall(key):
            if _HAN.search(run):
                words += _pinyin_forms(run)
    out, size = [], 0
    for word in dict.fromkeys(words):
        if size + len(word) + 1 > WORDS_MAX:
            break
        out.append(" " + word)
        size += len(word) + 1
    return "".join(out)
