"""Byte-level token pieces map back to the right characters."""
from __future__ import annotations

from gptmath.tokens import byte_level_decoder, byte_pieces, char_spans


def test_byte_level_decoder_inverts_gpt2_alphabet():
    decode = byte_level_decoder()
    assert decode("Ġthe") == b" the"
    assert decode("Ċ") == b"\n"
    assert decode("<|endoftext|>") == b"<|endoftext|>"


def test_partial_utf8_bytes_become_hex_pieces():
    data = "é".encode()  # two bytes
    assert [p.text for p in byte_pieces(data)] == ["é"]
    assert [p.text for p in byte_pieces(data[:1])] == ["<c3>"]
    assert byte_pieces(data[:1])[0].is_partial
    assert [p.text for p in byte_pieces(b"a" + "猫".encode()[:2])] == ["a", "<e7>", "<8c>"]


def test_char_spans_bracket_a_character_over_the_tokens_holding_its_bytes():
    cat = "猫".encode()  # 3 bytes split across two tokens
    spans = char_spans([b" the", cat[:2], cat[2:] + b"!"])
    assert [s.char for s in spans] == [" ", "t", "h", "e", "猫", "!"]
    assert (spans[4].first_token, spans[4].last_token) == (1, 2)
    assert (spans[5].first_token, spans[5].last_token) == (2, 2)


def test_model_token_strings_show_bytes_honestly(toy_model):
    ids = toy_model.encode("a 猫")
    assert toy_model.decode(ids) == "a 猫"
    joined = b"".join(toy_model.token_bytes(i) for i in ids)
    assert joined.decode() == "a 猫"
    assert "\ufffd" not in "".join(toy_model.token_strings(ids))
