"""Is a string one emoji? A reaction is a single emoji grapheme: a pictograph
with its variation selector and skin tone, several joined by ZWJ (a family),
a flag (two regional indicators or a tag sequence) or a keycap."""

MAX_CODEPOINTS = 16  # the longest family or flag sequence in use is 10
MAX_PARTS = 7  # pictographs joined by ZWJ

ZWJ = 0x200D
VS16, VS15 = 0xFE0F, 0xFE0E
KEYCAP = 0x20E3

_PICTOGRAPHS = (
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x21AA),
    (0x231A, 0x23FF),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0x1F000, 0x1F0FF),
    (0x1F10D, 0x1F1AD),
    (0x1F201, 0x1F2FF),
    (0x1F300, 0x1F3FA),
    (0x1F400, 0x1FAFF),
)


def _pictograph(cp):
    return any(low <= cp <= high for low, high in _PICTOGRAPHS)


def _regional(cp):
    return 0x1F1E6 <= cp <= 0x1F1FF


def _skin(cp):
    return 0x1F3FB <= cp <= 0x1F3FF


def _tag(cp):
    return 0xE0020 <= cp <= 0xE007F


def is_emoji(text):
    """True when ``text`` is exactly one emoji grapheme."""
    if not isinstance(text, str) or not text or len(text) > MAX_CODEPOINTS:
        return False
    cps = [ord(ch) for ch in text]
    if len(cps) == 2 and all(_regional(cp) for cp in cps):
        return True  # a flag
    if text[0] in "0123456789#*" and cps[1:] in ([VS16, KEYCAP], [KEYCAP]):
        return True  # a keycap
    parts = []
    current = []
    for cp in cps:
        if cp == ZWJ:
            parts.append(current)
            current = []
        else:
            current.append(cp)
    parts.append(current)
    if len(parts) > MAX_PARTS:
        return False
    for index, part in enumerate(parts):
        if not part or not _pictograph(part[0]):
            return False
        rest = part[1:]
        if rest and rest[0] in (VS16, VS15):
            rest = rest[1:]
        if rest and _skin(rest[0]):
            rest = rest[1:]
        if rest and index == 0 and len(parts) == 1 and all(_tag(cp) for cp in rest) and rest[-1] == 0xE007F:
            rest = []  # a tag sequence (the flags of England, Scotland, Wales)
        if rest:
            return False
    return True
