"""gpttrain.train's pieces: echo windows (and when they stop), sinusoid positions, the warm-up, a run that goes on
from a saved model, and a Japanese tokenizer's merges inside words."""
from __future__ import annotations

import json

import numpy as np
import pytest

from gpttrain.data import as_chats, prepare
from gpttrain.model import sinusoids
from gpttrain.toy import write_toy_corpus
from gpttrain.train import TrainConfig, echo_window, lr_at, random_echo_window, train


def test_echo_window_tells_a_stretch_twice_then_goes_on():
    stream = np.arange(10_000, dtype=np.int32)  # every token distinct: the repeat is easy to find
    rng = np.random.default_rng(0)
    spans = set()
    for _ in range(50):
        w = echo_window(stream, rng, 257)
        assert len(w) == 257
        span = int(np.flatnonzero(w == w[0])[1])  # where the first token comes again
        assert 8 <= span <= 128
        assert (w[span:2 * span] == w[:span]).all()  # the stretch, told again
        assert (np.diff(w[span:]) == 1).all()  # then the text goes on from where the stretch began
        spans.add(span)
    assert len(spans) > 10


def test_random_echo_window_scores_only_what_can_be_recalled():
    stream = np.arange(10_000, 20_000, dtype=np.int64)  # text: ids the random tokens never take
    allowed = np.arange(5, 300)
    rng = np.random.default_rng(0)
    for _ in range(50):
        w, scored = random_echo_window(stream, allowed, rng, 257)
        assert len(w) == 257 and scored.shape == (256,)
        span = int(np.flatnonzero(w >= 10_000)[0]) // 2  # the text starts after two tellings
        assert 8 <= span <= 128
        assert np.isin(w[:span], allowed).all() and (w[span:2 * span] == w[:span]).all()
        assert (np.diff(w[2 * span:]) == 1).all()  # then text
        # target t is w[t]: the first telling and the first token of the second are left out, the rest counts
        assert not scored[:span].any() and scored[span:].all()


def test_sinusoid_positions_tell_every_position_apart_at_the_init_scale():
    table = sinusoids(256, 192, 0.02)
    assert table.shape == (256, 192)
    assert np.sqrt((table ** 2).mean()) == pytest.approx(0.02, rel=1e-3)  # the size of a random init entry
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    near = (unit[1:] * unit[:-1]).sum(1)
    assert near.max() < 0.999  # neighbours differ


def test_warm_up_starts_again_where_the_optimizer_starts():
    cfg = TrainConfig(corpus=[], out="", work="", lr=1e-3, warmup=100, steps=1000)
    assert lr_at(0, cfg) == pytest.approx(1e-5)
    assert lr_at(99, cfg) == pytest.approx(1e-3)
    cosine = lr_at(600, cfg)
    assert lr_at(500, cfg, start=500) == pytest.approx(lr_at(500, cfg) / 100)  # first step of a fresh optimizer
    assert lr_at(600, cfg, start=500) == pytest.approx(cosine)  # warmed up again, back on the schedule
    assert lr_at(1000, cfg) == pytest.approx(1e-4)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_toy_corpus(tmp_path_factory.mktemp("corpus") / "tinystories_toy.txt", 30, seed=1)


def test_a_run_goes_on_from_a_saved_model(corpus, tmp_path):
    """--init: the saved weights, step count and history carry on; a fresh optimizer; the same tokenizer."""
    base = dict(corpus=[str(corpus)], vocab_size=300, n_layer=2, n_head=2, d_model=32, n_ctx=64, batch_size=4,
                warmup=2, eval_every=5, eval_windows=2, snapshots=[], bf16=False, held_out=0.2)
    first = TrainConfig(out=str(tmp_path / "first"), work=str(tmp_path / "w1"), steps=10, **base)
    train(first)
    then = TrainConfig(out=str(tmp_path / "then"), work=str(tmp_path / "w2"), steps=20, init=str(tmp_path / "first"),
                       echo_share=0.3, random_echo_share=0.3, unlikelihood_share=0.5, sinusoid_positions=False,
                       **{**base, "vocab_size": 280})
    history = train(then)  # no tokenizer in w2: the saved model's own (a new one of 280 tokens would not fit it)
    vocab = [json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"]
             for folder in (tmp_path / "first", tmp_path / "w2" / "tokenizer")]
    assert vocab[0] == vocab[1]
    assert len(history.train) == 20 and history.train[10][0] == 11  # steps 11..20 follow steps 1..10
    assert history.tokens_seen == 20 * 4 * 64
    saved = json.loads((tmp_path / "first" / "training.json").read_text())["history"]["train"]
    assert [tuple(x) for x in history.train[:10]] == [tuple(x) for x in saved]
    start_loss = history.train[10][1]
    assert start_loss < saved[0][1] - 0.5  # it began from the trained weights, not from scratch
    with pytest.raises(SystemExit, match="another split \\(its --seed 0\\)"):  # another split: held-out text it trained on
        train(TrainConfig(**{**then.__dict__, "seed": 1, "work": str(tmp_path / "w3")}))
    assert not (tmp_path / "w3").exists()


def test_bpe_dropout_cuts_the_training_text_into_more_pieces_once(corpus, tmp_path):
    """The same text in more, smaller pieces; the held-out text cut as usual; a second prepare reads the same cut."""
    base = dict(corpus=[str(corpus)], out=str(tmp_path / "out"), work=str(tmp_path / "w"), vocab_size=300)
    plain = prepare(TrainConfig(**base))
    dropped = prepare(TrainConfig(**base, bpe_dropout=0.3))
    decode = plain.tokenizer.decode
    assert decode(dropped.train[0].tolist()) == decode(plain.train[0].tolist())
    assert len(dropped.train[0]) > 1.1 * len(plain.train[0])
    np.testing.assert_array_equal(dropped.test[0], plain.test[0])
    np.testing.assert_array_equal(prepare(TrainConfig(**base, bpe_dropout=0.3)).train[0], dropped.train[0])


def test_sines_and_cosines_are_added_to_the_position_embeddings_once(corpus, tmp_path):
    import torch
    from safetensors.torch import load_file

    base = dict(corpus=[str(corpus)], vocab_size=300, n_layer=2, n_head=2, d_model=32, n_ctx=64, batch_size=4,
                warmup=1, eval_every=2, eval_windows=2, snapshots=[], bf16=False, held_out=0.2)
    train(TrainConfig(out=str(tmp_path / "first"), work=str(tmp_path / "w1"), steps=4, **base))
    then = TrainConfig(out=str(tmp_path / "then"), work=str(tmp_path / "w2"), steps=6, init=str(tmp_path / "first"),
                       add_sinusoids=True, lr=1e-9, **base)  # a learning rate too small to move anything
    train(then)
    before = load_file(tmp_path / "first" / "model.safetensors")["transformer.wpe.weight"].numpy()
    state = torch.load(tmp_path / "w2" / "checkpoint.pt", weights_only=False)
    after = state["model"]["transformer.wpe.weight"].numpy()
    np.testing.assert_allclose(after - before, sinusoids(64, 32, 0.02), atol=1e-6)
    assert state["sinusoids_added"] == 4
    train(TrainConfig(**{**then.__dict__, "steps": 8}), resume=True)  # a resume does not add them again
    again = torch.load(tmp_path / "w2" / "checkpoint.pt", weights_only=False)["model"]["transformer.wpe.weight"]
    np.testing.assert_allclose(again.numpy(), after, atol=1e-6)


def test_card_lists_each_files_own_books_without_the_dropped_ones(tmp_path):
    from gpttrain.card_text import corpus_table
    sources = tmp_path / "SOURCES.md"
    sources.write_text(
        "| a.txt | 1 | x | y |\n| gutenberg_childrens_lit.txt | 2 | books | PD |\n\n"
        "## Gutenberg origins\n\n| # | title | author | PG ebook # | more |\n|---|---|---|---|---|\n"
        "| 1 | Kept Book | A | 11 | z |\n| 2 | Dropped Book | B | 22 | z |\n\n"
        "## Japanese\n\n| 1 | 桃太郎 | 楠山正雄 | 1950 |\n\n"
        "## Screening of gutenberg_childrens_lit.txt\n\n### Book dropped\n\n- **#2 Dropped Book** (B): why\n",
        encoding="utf-8")
    table = corpus_table(sources, ["gutenberg_childrens_lit.txt"])
    assert "| 1 | Kept Book | A | 11 |" in table
    assert "Dropped Book" not in table and "桃太郎" not in table and "a.txt" not in table


JA_STORY = ("むかしむかし、ある村に、一ぴきの犬がいました。\n\nその犬は毎日、おじいさんと山へ行きました。"
            "犬は白鳥を見て、ワンとなきました。\n\n「おや、なんだろう。」\n\nと、おじいさんはいいました。")


def test_japanese_chats_ask_for_a_made_up_katakana_name_and_the_story_uses_it():
    import random
    import re

    from gpttrain.data import (OPENINGS_JA, SYSTEM_PROMPT_JA, UNSEEN_NAMES_JA, chat_document_ja, chat_template, chats_ja,
                                made_up_name_ja, passages)

    rng = random.Random(0)
    names = {made_up_name_ja(rng) for _ in range(2000)}
    assert all(re.fullmatch("[ァ-ヶ][ァ-ヶー]{1,9}", n) for n in names) and not names & set(UNSEEN_NAMES_JA)
    assert any("ー" in n for n in names) and any("ッ" in n for n in names) and any(len(n) >= 6 for n in names)
    assert SYSTEM_PROMPT_JA in chat_template("ja") and SYSTEM_PROMPT_JA not in chat_template("en")
    chat = chat_document_ja(JA_STORY, random.Random(1), rename=1.0)
    user = re.search(r"<\|user\|>(.*?)<\|end\|>", chat).group(1)
    story = chat.split("<|assistant|>")[1]
    name = re.search("[ァ-ヶー]{2,}", user).group(0)
    assert "犬" in user and chat.startswith(f"<|system|>{SYSTEM_PROMPT_JA}<|end|>\n<|user|>")
    assert story.startswith(tuple(o.format(name=name, noun="犬") for o in OPENINGS_JA))
    assert not any(o.startswith(("むかし", "ある")) for o in OPENINGS_JA)  # not the stories' own opening words
    assert story.count(name) == 4 and "白鳥" in story  # the opening, then each 犬 (その犬 too), not 白鳥's 鳥
    assert chat_document_ja("山の上に、雲がありました。", rng, 1.0) is None  # nobody to ask about
    assert chat_document_ja(JA_STORY, random.Random(1), rename=0.0).count("犬") == 4  # not renamed: as it was
    assert "".join(passages(JA_STORY * 4, shortest=30, longest=80)).replace("\n", "") == (JA_STORY * 4).replace("\n", "")
    plain, chats = as_chats([JA_STORY] * 10, 1.0, 0, 1.0, "ja")
    assert plain == [JA_STORY] * 10 and len(chats) == 10 == len(chats_ja([JA_STORY] * 10, 1.0, 0, 1.0))


def card_facts(**change):
    from gpttrain.card import CardFacts

    cfg = {"held_out": 0.05, "seed": 0, "batch_size": 8, "n_ctx": 256, "weight_decay": 0.1, "bf16": True}
    facts = CardFacts(
        name="toy", arch=dict(n_layer=2, n_head=3, d_head=8, d_model=24, d_mlp=96, n_ctx=64, vocab_size=1024,
                              tied_embeddings=True), n_params=12345, special_tokens="`<|endoftext|>`",
        chat_script="<|system|>S<|end|>\n<|user|>U<|end|>\n<|assistant|>", cfg=cfg,
        history={"tokens_seen": 4096000, "train": [[1, 5.0]] * 2000, "seconds": 5400.0},
        final={"step": 2000, "nats_per_token": 2.5, "bits_per_byte": 1.2345},
        per_source=[("a", {"nats_per_token": 2.0, "bits_per_byte": 1.0}), ("b", {"nats_per_token": 3.0, "bits_per_byte": 1.5})],
        corpus_files="a.txt, b.txt", corpus_weights="a.txt 1, b.txt 2", echo_text="ECHO", chat_data_text="CHATS",
        corpus_table="CORPUS", excluded_text="", tinystories_text="", train_command="python -m gpttrain.train",
        notes="NOTES\n", comparison_table="COMPARISON", opening="Once", top5_table="TOP5", reader_table="READER",
        tokenized_opening="On|ce", samples="SAMPLES",
        chat_table="CHAT TABLE", chat_hits=8, chat_asked=10, known_name="Max", n_stories=8, targets_table="TARGETS",
        heads_table="HEADS", head_prompt_tokens=78, history_table="HISTORY")
    return facts.__class__(**{**facts.__dict__, **change})


def test_the_card_template_lays_out_the_measured_facts():
    from gpttrain.card import render_card

    card = render_card(card_facts())
    assert card.startswith("# toy\n\nA small GPT-2") and card.endswith("(CDLA-Sharing-1.0 for TinyStories).\n")
    assert "| vocabulary | 1,024 tokens |" in card and "| parameters | 12,345 |" in card
    assert "split 95% / 5% into training" in card and "4,096,000 tokens seen in 2,000 steps of 8 × 256 tokens,\n1.5 hours" in card
    assert "| all held-out text | 2.500 | **1.234** |\n| a | 2.000 | 1.000 |\n| b | 3.000 | 1.500 |\n\nMeasured" in card
    assert "builds the prompt.\n" in card and "none:\n\n```\n<|system|>S<|end|>\n<|user|>U<|end|>\n<|assistant|>\n```\n\n## Data" in card
    assert "SAMPLES\n\n## Chat\n\n" in card and "except Max), the" in card and "**8 of 10**:\n\nCHAT TABLE\n\n## Attention" in card
    plain = render_card(card_facts(chat_script="", chat_table=""))
    assert "SAMPLES\n\n## Attention heads" in plain and "## Chat" not in plain and "apply_chat_template" not in plain
    assert ('byte tokens). "Once" is cut as `On|ce`. The model was trained without chats: it has the role tokens but '
            'no chat template.\n\n## Data') in plain
    assert "TOP5\n\nREADER\n\n## Samples" in card and "words_ja" not in card
    assert "text cut\ninto words (`gpttrain.words_ja`" in render_card(card_facts(cfg={**card_facts().cfg, "lang": "ja"}))


def test_the_card_counts_loops_and_says_when_echo_windows_stopped():
    from gpttrain.card_text import echo_text
    from gpttrain.measure import repeated_spans

    assert repeated_spans("abcdefghij" * 2) == 1 and repeated_spans("abcdefghij" * 3) == 11
    assert repeated_spans("むかしむかし、あるところに、おじいさんとおばあさんがありました。") == 0
    cfg = {"echo_share": 0.25, "random_echo_share": 0.05, "n_ctx": 256}
    assert "first 5,000 steps" in echo_text({**cfg, "echo_until": 5000}) and "first" not in echo_text(cfg)
    assert "Another 5% told random tokens twice" in echo_text(cfg) and echo_text({**cfg, "echo_share": 0}) == ""


def test_japanese_card_asks_for_katakana_names_and_counts_them_as_words():
    from gpttrain.measure import chat_requests, uses_name
    from gpttrain.data import UNSEEN_NAMES_JA

    requests = chat_requests("ja")
    assert len(requests) == 10 and requests[0][2] == "ポチという犬のお話をしてください。"
    assert {name for _, name, _ in requests[1:]} == set(UNSEEN_NAMES_JA)
    assert chat_requests("en")[0][2] == "Tell me a story about a dog named Max."
    assert uses_name("むかしむかし、タムシンという猫がいました。", "タムシン") and uses_name("「タムシン」", "タムシン")
    assert not uses_name("タムシンガは", "タムシン") and not uses_name("ヤタムシンは", "タムシン")
    assert not uses_name("タムシーンは", "タムシン")


def test_echo_windows_stop_at_echo_until(corpus, tmp_path):
    """--echo-until: every window an echo window before that step (echo share 1), plain text from it on."""
    from gpttrain.train import Batches

    cfg = TrainConfig(corpus=[str(corpus)], out=str(tmp_path / "out"), work=str(tmp_path / "w"), vocab_size=300,
                      n_ctx=64, batch_size=16, echo_share=1.0, echo_until=5)
    data = prepare(cfg)
    stream = data.train[0]

    def plain(row) -> bool:  # a stretch of the stream as it is
        return any(np.array_equal(stream[i:i + len(row)], row) for i in np.flatnonzero(stream == row[0]))

    batches, rng = Batches(data, cfg), np.random.default_rng(0)
    before, after = (batches.draw(rng, step)[0].numpy() for step in (4, 5))
    assert not any(plain(row) for row in before) and all(plain(row) for row in after)


JA_TEXT = ("むかしむかし、あるところに、おじいさんとおばあさんがありました。おじいさんは山へしばかりに、"
           "おばあさんは川へせんたくに行きました。ひとりの王さまがありました。王さまには、美しいお姫さまがありました。")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_japanese_tokenizer_learns_its_merges_inside_words(lang):
    """Trained on Japanese words (gpttrain.words_ja), every token of the vocabulary lies inside a word and every word
    of the text is a token (おじいさん, と, おばあさん, が); trained on the raw text, as for English, some token runs across
    words (the test fails for "en" unless one does)."""
    from gptmath.tokens import byte_level_decoder
    from gpttrain.data import special_ids, train_tokenizer
    from gpttrain.words_ja import words

    tokenizer = train_tokenizer([JA_TEXT] * 30, 700, lang=lang)  # room for every word
    special = set(special_ids(tokenizer))
    vocab = {byte_level_decoder()(t) for t, i in tokenizer.get_vocab().items() if i not in special}
    word_bytes = {w.encode() for w in words(JA_TEXT)}
    assert "".join(words(JA_TEXT)) == JA_TEXT and len(word_bytes) > 20
    merged = [piece for piece in vocab if len(piece) > 1]  # the 256 single bytes are every tokenizer's alphabet
    inside = all(any(piece in word for word in word_bytes) for piece in merged)
    assert inside == (lang == "ja") and (word_bytes <= vocab) == (lang == "ja")


def test_japanese_words_keep_particles_apart_and_endings_on():
    from gpttrain.words_ja import words

    assert words("おじいさんは山へ行きました。") == ["おじいさん", "は", "山", "へ", "行きました", "。"]
    assert words("お医者さまからくれた") == ["お医者さま", "から", "くれた"]
