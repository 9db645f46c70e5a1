"""The models this project ships: what a reader expects of them, within the sizes the repository can carry."""
from __future__ import annotations

from pathlib import Path

import pytest

from gptmath import load_model, softmax_with_temperature, top_k
from gptmath.chat import chat_prompt
from gptmath.heads import copying_report, previous_token_report
from gptmath.checkpoints import checkpoints
from gpttrain.ship import CHECKPOINTS_LIMIT
from scenes.settings import DEFAULT_MODELS, DEFAULT_PROMPTS

EXPECTED_EN = {"girl", "boy", "bird", "dog", "cat", "bunny", "rabbit", "mouse", "bear", "fish", "puppy", "kitten",
               "frog", "duck", "fox", "baby", "princess", "prince", "old", "red", "brown", "white", "big", "house",
               "boat", "car", "tree", "lamb", "pig", "squirrel", "owl", "bug", "ant", "bee", "lion", "horse", "elephant"}

EXPECTED_JA = {"ひとり", "一人", "ふたり", "ちいさな", "おじいさん", "おばあさん", "お姫さま", "王さま", "王様", "小さな",
               "大きな", "若い", "娘", "男", "女", "子ども", "子供", "きこり", "この", "その", "ある", "貧しい", "村", "山",
               "一"}


def folder_size(folder: Path, skip: str | None = None) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and (skip is None or skip not in f.parts))


def top5(model, prompt: str) -> list[str]:
    logits = model.trace(prompt)["logits"][-1]
    return [c.text for c in top_k(logits, softmax_with_temperature(logits), 5, model.token_strings)]


@pytest.mark.parametrize("lang, expected", [("en", EXPECTED_EN), ("ja", EXPECTED_JA)])
def test_model_continues_the_story_with_words_a_reader_expects(lang, expected):
    """Each of the top 5 after the default prompt is a word a reader expects there, or its first piece."""
    model = load_model(DEFAULT_MODELS[lang])
    words = top5(model, DEFAULT_PROMPTS[lang])
    unexpected = [w for w in words if not w.strip() or not any(e.startswith(w.strip().lower()) for e in expected)]
    assert not unexpected, f"top-5 {words}: unexpected {unexpected}"


LIMITS = {"en": 25e6, "ja": 20e6}  # bytes of the model folder without its checkpoints (issue 29: the Japanese <= 20 MB)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_model_reads_chats_and_ships_its_history_within_the_size_limits(lang):
    folder = DEFAULT_MODELS[lang]
    model = load_model(folder)
    prompt = chat_prompt(model.chat_template, [{"role": "user", "content": "Tell me a story."}])
    ids = model.encode(prompt)
    assert model.token_strings(ids)[-1] == "<|assistant|>"
    history = checkpoints(folder)
    assert len(history) >= 6 and history[0].step == 0 and history[-1].path == folder.resolve()
    assert [c.step for c in history] == sorted(c.step for c in history)
    assert folder_size(folder, skip="checkpoints") <= LIMITS[lang]
    assert folder_size(folder / "checkpoints") <= CHECKPOINTS_LIMIT


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_model_answers_a_chat_with_the_name_it_was_asked_for(lang):
    """Issue 12's chat target (issue 29 for Japanese): asked for a story about an animal or child with a name it
    never saw in training (one known name aside), the greedy answer uses the name, as a word of its own, in at least
    8 of 10."""
    from gpttrain.card import chat_examples, chat_requests

    _, hits = chat_examples(load_model(DEFAULT_MODELS[lang]))
    assert len(chat_requests(lang)) == 10 and hits >= 8


UNSEEN_STORIES = {"en": [
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog, Max. "
    "One day, Lily saw a big red ball under a tree. She ran to get it, but the ball rolled away. Max barked and ran "
    "after it. They laughed and played until the sun went down.",
    "Tom had a small boat. Every morning he took it to the pond and watched it float. One day the wind was strong "
    "and the boat sailed far away. Tom was sad. His mom said, \"Let us go and look for it.\" They walked around the "
    "pond and found the boat in the reeds. Tom hugged his mom and said thank you.",
], "ja": [
    "ある日、小さな女の子が、母さんと森へ出かけました。森の中には、赤い花がたくさんさいていました。女の子は花をつんで、"
    "母さんにわたしました。「まあ、きれいな花だこと。」と母さんは言いました。二人は花を持って、家へ帰りました。",
    "むかし、ある山のふもとに、年をとったきこりが住んでいました。きこりは毎日、山へ行って木を切りました。ある朝、"
    "きこりは山の中で小さな白いうさぎを見つけました。うさぎは足にけがをしていました。きこりはうさぎを家へつれて帰り、"
    "やさしく手当てをしてやりました。",
]}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_model_has_heads_that_copy_and_heads_that_look_back(lang):
    """Issue 12's targets (issue 29 for Japanese), measured as the card measures them: an induction head (>= 0.4 on
    TransformerLens' repeated random tokens, chance about 0.02) whose copying is worth >= 2 nats per token, and a head
    that mostly looks one token back (>= 0.5 of its weight on the token just before, in unseen stories)."""
    model = load_model(DEFAULT_MODELS[lang])
    report = copying_report(model)
    assert report.induction.max() >= 0.4 > 20 * report.chance["induction"]
    assert report.gain >= 2
    assert previous_token_report(model, UNSEEN_STORIES[lang]).max() >= 0.5


def test_japanese_model_continues_the_old_tale_as_a_reader_expects():
    """Issue 29: after 「むかしむかし、あるところに、」 a Japanese reader expects おじいさん or おばあさん among the top
    five, and a greedy continuation of 80 characters that repeats no 10-character span."""
    from gpttrain.measure import EXPECTED_NEXT, greedy_text, next_token_ranks, repeated_spans

    model = load_model(DEFAULT_MODELS["ja"])
    prompt = DEFAULT_PROMPTS["ja"]
    ranks = next_token_ranks(model, prompt, EXPECTED_NEXT["ja"])
    assert any(r and r <= 5 for r in ranks.values()), ranks
    text = greedy_text(model, prompt)
    assert len(text) == 80 and repeated_spans(text) == 0, text


@pytest.mark.skipif(not DEFAULT_MODELS["ja"].is_dir(), reason="the Japanese model is not shipped yet")
def test_japanese_model_cuts_japanese_into_words():
    """A sentence takes at most 2/3 of a token per character, and words the corpus uses over a thousand times are one
    token each (with 2,048 tokens a rarer word such as 猫, 469 times, comes in byte pieces, as English words do)."""
    model = load_model(DEFAULT_MODELS["ja"])
    sentence = "むかしむかし、おじいさんとおばあさんがありました。"
    assert len(model.encode(sentence)) <= len(sentence) * 2 / 3
    for word in ("むかし", "おじいさん", "おばあさん", "犬", "花", "山", "赤", "一"):
        assert len(model.encode(word)) == 1, word
