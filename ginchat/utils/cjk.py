"""Chinese, Japanese and Korean text: which characters are written without
spaces between words (Han, kana, Hangul), so that search and name lookups
can find a word inside a run of them."""

import re
import unicodedata

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


# --- search ---------------------------------------------------------------
# Chinese and Japanese put no spaces between words, so no engine's tokenizer
# can find a word inside a sentence: each run of CJK characters is indexed
# instead as its overlapping pairs of characters (开会讨论: 开会 会讨 讨论) and
# its last character alone, as Lucene's CJK analyser does. A word of two or
# more characters is then the phrase of its pairs, and one character is the
# start of a pair or a run's last character. Every engine gets the same
# tokens, written in the letters a-p and prefixed with "zz" (開 U+958B:
# "zzajfil"), which every tokenizer keeps as one word and no word of the
# index's minimum length drops.
TOKEN_PREFIX = "zz"
_HEX = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
_WORD = re.compile(r"[^\W_]+")
_PIECES = re.compile("(" + CJK_CLASS + "+)")


def _code(ch):
    return f"{ord(ch):05x}".translate(_HEX)


def char_token(ch):
    """The token of one character, which starts the token of every pair it begins."""
    return TOKEN_PREFIX + _code(ch)


def pair_tokens(run):
    """A CJK run's tokens in order: its overlapping pairs, then its last character."""
    codes = [_code(ch) for ch in run]
    pairs = [TOKEN_PREFIX + a + b for a, b in zip(codes, codes[1:], strict=False)]
    return pairs + [TOKEN_PREFIX + codes[-1]]


def pieces(word):
    """A word (letters and digits) cut where CJK text meets other letters or
    digits: 版本rel42已经发布 -> 版本, rel42, 已经发布."""
    return [p for p in _PIECES.split(word) if p]


def index_text(folded):
    """What the search index holds for a text that has CJK in it (already
    folded: NFKC and case-folded): its words, each CJK run as pair_tokens and
    the other pieces as they are. None for a text without CJK, which the
    engines index as it is."""
    if not has_cjk(folded):
        return None
    tokens = []
    for word in _WORD.findall(folded):
        for piece in pieces(word):
            tokens += pair_tokens(piece) if CJK_RUN.fullmatch(piece) else [piece]
    return " ".join(tokens)


def search_text(content):
    """The message column ``search_text``: index_text of ``content`` in the
    folded form that queries use too (NFKC, case-folded), or None for a text
    without CJK. Kept on insert, edit and recall; the indexes take it
    instead of the content where it is set."""
    if not content or not has_cjk(content):
        return None
    return index_text(unicodedata.normalize("NFKC", content.casefold()))
