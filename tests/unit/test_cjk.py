"""The CJK search tokens (ginchat/utils/cjk.py): a word inside a Chinese
sentence becomes a phrase of pair tokens that the sentence's tokens hold in
that order, and nothing else does."""

import pytest

from ginchat.utils.cjk import char_token, has_cjk, index_text, pair_tokens, pieces


def holds_phrase(tokens, phrase):
    n = len(phrase)
    return any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


def query_phrase(word):
    """What a search for a CJK word asks of the index: its pairs in order."""
    return pair_tokens(word)[:-1] if len(word) > 1 else None


@pytest.mark.parametrize(
    "text, found, missing",
    [
        (
            "我们明天下午开会讨论预算",
            ["开会", "预算", "讨论", "明天下午", "我们", "我们明天下午开会讨论预算"],
            ["会开", "开讨", "算预"],
        ),
        ("版本rel42已经发布", ["版本", "发布", "已经"], ["版发"]),
        ("東京で会議があります", ["東京", "会議"], ["京会"]),
        ("회의 자료를 확인해 주세요", ["회의", "자료", "확인"], ["의자"]),
    ],
)
def test_a_word_inside_a_sentence_is_a_phrase_of_its_tokens(text, found, missing):
    tokens = index_text(text).split()
    for word in found:
        assert holds_phrase(tokens, query_phrase(word)), word
    for word in missing:
        assert not holds_phrase(tokens, query_phrase(word)), word


def test_one_character_starts_a_pair_or_ends_a_run():
    tokens = index_text("开会 预算").split()
    for ch in "开会预算":
        assert any(t.startswith(char_token(ch)) for t in tokens), ch
    assert not any(t.startswith(char_token("论")) for t in tokens)


def test_latin_pieces_glued_to_cjk_are_words_of_their_own():
    assert pieces("版本rel42已经发布") == ["版本", "rel42", "已经发布"]
    assert "rel42" in index_text("版本rel42已经发布").split()


def test_tokens_are_plain_letters_that_every_tokenizer_keeps_whole():
    for token in index_text("开会\U00020000𠀀ｶﾀｶﾅ").split():
        assert token.isascii() and token.isalpha() and token.islower()
        assert len(token) >= 7  # MariaDB's index drops words shorter than innodb_ft_min_token_size (3)


def test_a_text_without_cjk_is_indexed_as_it_is():
    assert index_text("hello world, café 42") is None
    assert not has_cjk("hello。，")  # CJK punctuation is no word
    assert has_cjk("a张b")
