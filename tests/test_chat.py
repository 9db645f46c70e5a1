"""Chat: the template gptmath renders is the one transformers renders; chat documents are honest requests."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from gptmath import GptMathError
from gptmath.chat import END, ROLE_TOKENS, SYSTEM_PROMPT, chat_prompt, read_chat_template
from gpttrain.data import chat_document, story_request

MESSAGES = [{"role": "user", "content": "Tell me a story about a dog named Max."}]


def test_template_text_and_tokens_match_transformers(toy_dir):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(toy_dir)
    template = read_chat_template(toy_dir)
    for messages in (MESSAGES, [{"role": "system", "content": "Be brief."}, *MESSAGES,
                                {"role": "assistant", "content": "Max ran."}, {"role": "user", "content": "More!"}]):
        want = hf.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        assert chat_prompt(template, messages) == want
    text = chat_prompt(template, MESSAGES)
    assert text.startswith(f"<|system|>{SYSTEM_PROMPT}{END}\n<|user|>") and text.endswith("<|assistant|>")
    # role markers are single tokens, and the ids decode back to the same roles
    tok = Tokenizer.from_file(str(toy_dir / "tokenizer.json"))
    ids = tok.encode(text, add_special_tokens=False).ids
    markers = [tok.id_to_token(i) for i in ids if tok.id_to_token(i) in ROLE_TOKENS]
    assert markers == ["<|system|>", END, "<|user|>", END, "<|assistant|>"]
    assert tok.decode(ids, skip_special_tokens=False) == text


def test_bad_messages_and_missing_template_are_one_line_errors():
    with pytest.raises(GptMathError, match="no chat template"):
        chat_prompt(None, MESSAGES)
    with pytest.raises(GptMathError, match="role"):
        chat_prompt("{{ messages }}", [{"role": "robot", "content": "hi"}])


def test_story_requests_name_what_the_story_contains():
    story = "Once upon a time, there was a little brown dog named Max. Max liked to dig in the garden with Sue."
    rng = random.Random(0)
    requests = [story_request(story, rng) for _ in range(40)]
    named = [r for r in requests if "Max" in r]
    assert len(named) > 20 and all("dog" in r for r in named)
    for r in requests:
        if "Max" not in r:  # otherwise three words, each from the story
            words = r.rstrip(".").replace(",", "").split()[-4:]
            assert all(w in story for w in words if w != "and")
    doc = chat_document(story, random.Random(1))
    assert doc.startswith(f"<|system|>{SYSTEM_PROMPT}{END}\n<|user|>") and doc.endswith(f"<|assistant|>{story}{END}")


def test_excluded_terms_leave_whole_documents_out_of_both_splits(tmp_path):
    from gpttrain.data import file_split, read_terms
    from gpttrain.train import TrainConfig

    terms = tmp_path / "terms.txt"
    terms.write_text("# a comment\n\nbad\n", encoding="utf-8")
    assert read_terms(terms) == ["bad"]
    corpus = tmp_path / "stories.txt"
    docs = [f"story {i} is {'bad' if i % 3 == 0 else 'fine'}." for i in range(30)]
    corpus.write_text("\n<|endoftext|>\n".join(docs), encoding="utf-8")
    cfg = TrainConfig(corpus=[str(corpus)], out="", work="", held_out=0.2, exclude=read_terms(terms))
    (train, _), (test, _) = file_split(cfg, corpus)
    assert sorted(train + test) == sorted(d for d in docs if "bad" not in d) and test
    shipped = read_terms(Path(__file__).parent.parent / "gpttrain" / "exclude_ja.txt")
    assert "乞食" in shipped and all(not t.startswith("#") for t in shipped)


def test_renamed_chats_copy_a_made_up_name_never_one_the_card_asks_for():
    from gpttrain.measure import CHAT_REQUESTS
    from gpttrain.data import NAMED, UNSEEN_NAMES, made_up_name

    story = "Once upon a time, there was a little brown dog named Max. Max liked to dig. Maxine watched Max."
    names = set()
    for seed in range(30):
        doc = chat_document(story, random.Random(seed), rename=1.0)
        request, answer = doc.split("<|assistant|>")
        name = NAMED.search(answer).group(2)
        assert name != "Max" and "Maxine" in answer and " Max" not in answer.replace("Maxine", "")
        assert answer.count(name) == 3  # the hero is renamed throughout, other words are left alone
        assert name in request or "words" in request  # a request by name asks for the made-up name
        names.add(name)
    assert len(names) > 20 and not names & set(UNSEEN_NAMES)
    assert {n for _, n in CHAT_REQUESTS} - {"Max"} == set(UNSEEN_NAMES)
    assert not set(made_up_name(random.Random(s)) for s in range(2000)) & set(UNSEEN_NAMES)


def test_a_chat_answer_uses_a_name_only_as_a_word_of_its_own():
    from gpttrain.measure import uses_name

    assert uses_name("One day, Soren found a rock.", "Soren") and uses_name("Soren's ball", "Soren")
    assert not uses_name("One day, Sorena found a rock.", "Soren") and not uses_name("Tamin", "Tamsin")
