"""Training history: a run's snapshots ship into a model folder, each loads, and its recorded probe loss is real."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from gptmath import GptMathError, generate, load_model
from gptmath.cache import cached_gradient_step
from gptmath.checkpoints import checkpoints, mean_loss, probe
from gptmath.history import chance_loss, predictions, samples
from gptmath.readout import top_bars
from gptmath.load import DEFAULT_MODEL
from gpttrain.ship import ship, probe_ids
from gpttrain.toy import write_toy_corpus
from gpttrain.train import TrainConfig, train

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny run on made-up stories: two snapshots and a final model."""
    root = tmp_path_factory.mktemp("run")
    corpus = root / "corpus"
    corpus.mkdir()
    write_toy_corpus(corpus / "tinystories_toy.txt", 40)
    cfg = TrainConfig(corpus=[str(corpus / "tinystories_toy.txt")], out=str(root / "out"), work=str(root / "work"),
                      vocab_size=300, n_layer=2, n_head=2, d_model=32, n_ctx=64, batch_size=4, steps=12, warmup=2,
                      eval_every=6, eval_windows=2, chat_files=["tinystories_toy.txt"], snapshots=[0, 4], bf16=False,
                      held_out=0.2)
    train(cfg)
    return root, cfg


def test_shipped_run_loads_and_reproduces_its_probe_losses(run, tmp_path):
    root, cfg = run
    folder = tmp_path / "model"
    ship(root / "out", root / "work", folder, root / "corpus")
    history = checkpoints(folder)
    assert [c.step for c in history] == [0, 4, 12]
    assert history[-1].path == folder.resolve() and history[-1].tokens_seen == 12 * 4 * 64
    ids = probe_ids(cfg, probe(folder), root / "corpus", load_model(folder))
    for c in history:
        model = load_model(c.path)
        assert mean_loss(model, ids) == pytest.approx(c.probe_nats, abs=1e-4)
    assert history[0].probe_nats > history[-1].probe_nats  # training lowered the loss on unseen text
    config = json.loads((folder / "checkpoints" / "step-000004" / "config.json").read_text())
    assert config["dtype"] == "float16"


def test_each_checkpoint_predicts_and_samples_with_its_own_weights(run, tmp_path):
    root, _ = run
    folder = tmp_path / "model"
    ship(root / "out", root / "work", folder, root / "corpus")
    history = checkpoints(folder)
    found = predictions(history, "Lily and the dog", 3)
    assert [p.checkpoint for p in found] == history
    for c, p in zip(history, found):
        model = load_model(c.path)
        assert p.top == top_bars(model.trace("Lily and the dog")["logits"][-1], 1.0, 3, model.token_strings)
    final = load_model(folder)
    sample, = samples(history[-1:], "Lily", 4, 1.0, 0, 5)
    steps = generate(final, "Lily", 4, temperature=1.0, seed=0, top_k_only=5)
    assert sample.prompt_tokens == final.token_strings(final.encode("Lily"))
    assert sample.sampled_tokens == final.token_strings([x.chosen for x in steps])


def test_a_flat_prediction_is_near_an_even_share_and_chance_is_ln_vocab(run, tmp_path):
    """top_lift: the likeliest token over an even share, near 1 for the random weights of step 0 and far above it
    for the shipped model's last step; chance_loss: the loss of guessing evenly, ln(vocabulary)."""
    import math

    root, _ = run
    folder = tmp_path / "model"
    ship(root / "out", root / "work", folder, root / "corpus")
    first, *_ = predictions(checkpoints(folder), "Lily and the dog", 3)
    assert first.checkpoint.step == 0 and first.top_lift == pytest.approx(first.top.probs[0] * first.vocab_size)
    assert first.top_lift < 4  # random weights: no token stands out
    assert chance_loss(1024) == pytest.approx(math.log(1024)) and chance_loss(1) == 0
    if (DEFAULT_MODEL / "checkpoints" / "index.json").exists():
        last, = predictions(checkpoints(DEFAULT_MODEL)[-1:], "Once upon a time, there was a little", 1)
        assert last.top_lift > 100


def test_a_gradient_step_is_taken_once_then_read_back(toy_dir, toy_model, tmp_path, monkeypatch):
    from gpttrain import step

    first = cached_gradient_step(toy_model, toy_dir, "Once upon a time", 0.01, tmp_path)
    assert asdict(first) == asdict(step.gradient_step(str(toy_dir), "Once upon a time", 0.01))
    monkeypatch.setattr(step, "gradient_step", lambda *args: pytest.fail("the step was taken again"))
    assert cached_gradient_step(toy_model, toy_dir, "Once upon a time", 0.01, tmp_path) == first
    assert len(list(tmp_path.glob("*.json"))) == 1
    with pytest.raises(pytest.fail.Exception):  # another learning rate is another step
        cached_gradient_step(toy_model, toy_dir, "Once upon a time", 0.02, tmp_path)


def test_the_gradient_step_is_plain_gradient_descent(toy_dir):
    """The step taken weight by weight during the backward pass (no copy of the model kept) is the textbook one:
    every gradient first, then w <- w - lr * grad, on a model whose embedding and unembedding are one tied weight."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gpttrain.step import gradient_step

    text, lr = "Once upon a time, there was a little dog", 0.05
    taken = gradient_step(str(toy_dir), text, lr)
    net = AutoModelForCausalLM.from_pretrained(toy_dir, dtype=torch.float32).eval()
    assert net.lm_head.weight is net.transformer.wte.weight
    x = torch.tensor([AutoTokenizer.from_pretrained(toy_dir)(text, add_special_tokens=False)["input_ids"]])
    before = [p.detach().clone() for p in net.parameters()]
    net(x, labels=x).loss.backward()
    with torch.no_grad():
        for p in net.parameters():
            p -= lr * p.grad
        loss_after = float(net(x, labels=x).loss)
    assert taken.n_changed == sum(int((p != b).sum()) for p, b in zip(net.parameters(), before))
    assert taken.n_params == sum(p.numel() for p in net.parameters())
    assert taken.loss_after == loss_after and taken.loss_after < taken.loss_before


def test_a_run_ships_the_weights_of_a_resumable_checkpoint(run, tmp_path):
    """--weights-from: the folder holds the checkpoint's weights and history, not the run's best step's."""
    import torch
    from transformers import GPT2LMHeadModel

    root, _ = run
    state = torch.load(root / "work" / "checkpoint.pt", weights_only=False)
    state["model"]["transformer.wte.weight"] += 1.0  # unlike any step the run saved
    state["history"]["tokens_seen"] += 1
    torch.save(state, tmp_path / "checkpoint.pt")
    folder = tmp_path / "model"
    ship(root / "out", root / "work", folder, root / "corpus", weights_from=tmp_path / "checkpoint.pt")
    shipped = GPT2LMHeadModel.from_pretrained(folder).state_dict()
    assert all(torch.equal(shipped[k], v) for k, v in state["model"].items() if k in shipped)
    assert json.loads((folder / "training.json").read_text())["history"]["tokens_seen"] == 12 * 4 * 64 + 1
    with pytest.raises(GptMathError, match="no checkpoint"):
        ship(root / "out", root / "work", folder, root / "corpus", weights_from=tmp_path / "none.pt")
    assert torch.equal(GPT2LMHeadModel.from_pretrained(folder).transformer.wte.weight,
                       state["model"]["transformer.wte.weight"])  # a bad argument left the shipped folder as it was


def test_a_run_ships_the_weights_of_one_of_its_snapshots(run, tmp_path):
    """--weights-from a snapshot: its weights, as float32, the run's history up to its step, and only the
    snapshots before it."""
    import torch
    from transformers import GPT2LMHeadModel

    root, _ = run
    snapshot = root / "work" / "checkpoints" / "step-000004"
    folder = tmp_path / "model"
    ship(root / "out", root / "work", folder, root / "corpus", weights_from=snapshot)
    shipped = GPT2LMHeadModel.from_pretrained(folder)
    assert shipped.dtype == torch.float32
    saved = GPT2LMHeadModel.from_pretrained(snapshot).state_dict()
    assert all(torch.equal(v, saved[k].float()) for k, v in shipped.state_dict().items())
    assert [c.step for c in checkpoints(folder)] == [0, 4]
    history = json.loads((folder / "training.json").read_text())["history"]
    assert history["tokens_seen"] == 4 * 4 * 64 and max(step for step, _ in history["train"]) == 4
    assert max(e["step"] for e in history["evals"]) == 4


def test_mean_loss_is_the_cross_entropy_transformers_computes(toy_dir, toy_model):
    import torch
    from transformers import GPT2LMHeadModel

    ids = toy_model.encode("Once upon a time, there was a little girl named Lily.")
    hf = GPT2LMHeadModel.from_pretrained(toy_dir).eval()
    with torch.no_grad():
        want = float(hf(torch.tensor([ids]), labels=torch.tensor([ids])).loss)
    assert mean_loss(toy_model, ids) == pytest.approx(want, abs=1e-4)


def test_a_model_without_history_is_a_one_line_error(toy_dir):
    with pytest.raises(GptMathError, match="no training history"):
        checkpoints(toy_dir)


def test_shipped_model_history_matches_the_corpus():
    """Every shipped checkpoint loads and its recorded probe loss is recomputed on the held-out story."""
    if not (DEFAULT_MODEL / "checkpoints" / "index.json").exists():
        pytest.skip("the shipped model has no training history yet")
    if not CORPUS.is_dir():
        pytest.skip(f"the corpus is not at {CORPUS}")
    log = json.loads((DEFAULT_MODEL / "training.json").read_text())
    cfg = TrainConfig(**log["config"])
    final = load_model(DEFAULT_MODEL)
    ids = probe_ids(cfg, probe(DEFAULT_MODEL), CORPUS, final)
    history = checkpoints(DEFAULT_MODEL)
    assert len(history) >= 6 and history[0].step == 0
    for c in history:
        assert mean_loss(load_model(c.path), ids) == pytest.approx(c.probe_nats, abs=1e-3)
