"""The mention rule (ginchat.domain.mentions.NameIndex) without a server:
which member an ``@`` names, and that the work is bounded by the text, not
by members times ``@`` (counted in dictionary look-ups, not timed)."""

from ginchat.domain.mentions import MAX_MENTIONS, MENTION_SIGNS, NameIndex


def index(names=(), display_names=()):
    return NameIndex(names=[(k, uid) for uid, k in names], display_names=[(k, uid) for uid, k in display_names])


def test_the_longest_name_or_display_name_wins_with_or_without_a_space():
    idx = index(names=[(1, "张伟"), (2, "张伟伟"), (3, "ann"), (4, "bob")], display_names=[(4, "ann lee")])
    assert idx.mentioned("@张伟请看一下预算表") == [1]
    assert idx.mentioned("@张伟伟请看") == [2]
    assert idx.mentioned("@ANN LEE, @Ann: @annie") == [4, 3]
    assert idx.mentioned("mail@bob, 5@ann, x_@bob") == [4], "after a letter or digit, no mention"
    assert idx.mentioned("@bob @bob @ann", sender_id=4) == [3], "the sender's name is no mention"
    assert idx.mentioned("＠ＢＯＢ @ｂｏｂ") == [4], "compared in NFKC, case-folded"


def test_a_shared_display_name_names_nobody_and_never_hides_a_name():
    idx = index(names=[(1, "ann"), (2, "kim"), (3, "lee")], display_names=[(2, "team"), (3, "team"), (1, "kim")])
    assert idx.mentioned("@team @kim") == [2]


def test_a_flood_of_signs_costs_what_the_first_ones_do():
    class Counting(dict):
        lookups = 0

        def get(self, key, default=None):
            Counting.lookups += 1
            return super().get(key, default)

    idx = index(names=[(uid, f"member{uid}") for uid in range(1, 1001)])
    idx.keys = Counting(idx.keys)
    assert idx.mentioned("@" * 4096 + " @member7") == []
    assert Counting.lookups <= MENTION_SIGNS * len(idx.lengths)
    many = " ".join(f"@member{uid}" for uid in range(1, 40))
    assert idx.mentioned(many) == list(range(1, MAX_MENTIONS + 1))
