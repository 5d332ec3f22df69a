"""Chinese, Japanese and Korean text: which characters are written without
spaces between words (Han, kana, Hangul), so that search and name lookups
can find a word inside a run of them."""

import re

# Han (with its extensions and compatibility forms), kana, bopomofo, Hangul.
# CJK punctuation (U+3000-303F) is not here: it separates words.
_RANGES = (
    "\u2e80-\u2fdf"  # radicals
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3100-\u312f"  # bopomofo
    "\u3130-\u318f"  # Hangul compatibility jamo
    "\u31a0-\u31bf"  # bopomofo extended
    "\u31f0-\u31ff"  # katakana phonetic extensions
    "\u3400-\u4dbf"  # Han extension A
    "\u4e00-\u9fff"  # Han
    "\ua960-\ua97f"  # Hangul jamo extended A
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # Han compatibility ideographs
    "\uff66-\uff9f"  # halfwidth katakana
    "\U00020000-\U0003134f"  # Han extensions B-H
)
CJK_CLASS = "[" + _RANGES + "]"
CJK_RUN = re.compile(CJK_CLASS + "+")
_CJK_ONE = re.compile(CJK_CLASS)


def has_cjk(text):
    """Whether ``text`` holds at least one CJK character."""
    return _CJK_ONE.search(text) is not None
