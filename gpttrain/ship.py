"""Ship a training run into a model folder: the final weights, the float16 snapshots, and their losses.

    python -m gpttrain.ship --run runs/tinytales-v2-out --work runs/tinytales-v2 --out assets/models/tinytales-gpt2

The run's model (gpttrain.train's --out, its best step by held-out loss) becomes
the model folder, or with --weights-from the weights of a resumable
checkpoint (a run's last step: WORK/checkpoint.pt) or of one of its float16
snapshots (WORK/checkpoints/step-NNNNNN, with the history up to its step); every
snapshot in <work>/checkpoints goes to checkpoints/step-NNNNNN; and
checkpoints/index.json records for each its held-out loss from the training
log and its loss on one held-out story (the probe), measured here by gptmath,
so that anyone can check each snapshot against the text it never trained on.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from gptmath import GptMathError, load_model
from gptmath.checkpoints import INDEX, mean_loss

from .data import EOT, file_split
from .train import TrainConfig

# Bytes the repository carries per model: its folder, and its float16 snapshots (five of a 4.3M-parameter model).
MODEL_LIMIT, CHECKPOINTS_LIMIT = 25e6, 45e6
PROBE_TOKENS = 128  # at most: a model with a shorter context reads its whole context
KEEP = ("README.md", "notes.md")  # written by hand or by gpttrain.card: not part of a run


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def probe_document(cfg: TrainConfig, model) -> dict:
    """The first held-out story (of the first chat-bearing corpus file, else the first file) with enough tokens."""
    files = [Path(p) for p in cfg.corpus]
    file = next((f for f in files if f.name in cfg.chat_files), files[0])
    _, (stories, _) = file_split(cfg, file)
    n = min(PROBE_TOKENS, model.config.n_ctx)
    for i, story in enumerate(stories):
        if len(model.encode(story)) >= n:
            return {"file": file.name, "document": i, "tokens": n}
    raise GptMathError(f"no held-out story of {file.name} has {n} tokens: cannot make a probe")


def probe_ids(cfg: TrainConfig, probe: dict, corpus: Path, model) -> list[int]:
    """The probe's token ids: <|endoftext|>, then the story's first tokens."""
    _, (stories, _) = file_split(cfg, corpus / probe["file"])
    eot = model.tokenizer.token_to_id(EOT)
    return [eot, *model.encode(stories[probe["document"]])][: probe["tokens"]]


def use_checkpoint_weights(folder: Path, checkpoint: Path, log: dict) -> dict:
    """Put a resumable checkpoint's weights, and its training history, into a saved model folder whose training
    log is `log`; returns the log as written."""
    import torch
    from transformers import GPT2LMHeadModel

    state = torch.load(checkpoint, weights_only=False)
    model = GPT2LMHeadModel.from_pretrained(folder)
    model.load_state_dict(state["model"])
    model.save_pretrained(folder)
    log = log | {"history": state["history"]}
    (folder / "training.json").write_text(json.dumps(log, indent=1))
    return log


def use_snapshot_weights(folder: Path, snapshot: Path, checkpoint: Path, log: dict) -> dict:
    """Put a float16 snapshot's weights (as float32) into a saved model folder, with the training history of the
    run's later resumable checkpoint cut at the snapshot's step; returns the log as written."""
    import torch
    from transformers import GPT2LMHeadModel

    step = int(snapshot.name.split("-")[1])
    history = torch.load(checkpoint, weights_only=False)["history"]
    evals = [e for e in history["evals"] if e["step"] <= step]
    if not evals or evals[-1]["step"] != step:
        raise GptMathError(f"{checkpoint} has no evaluation at step {step}: give a snapshot of that run")
    GPT2LMHeadModel.from_pretrained(snapshot, dtype=torch.float32).save_pretrained(folder)
    log = log | {"history": history | {"train": [t for t in history["train"] if t[0] <= step], "evals": evals,
                                       "tokens_seen": evals[-1]["tokens_seen"], "seconds": evals[-1]["seconds"]}}
    (folder / "training.json").write_text(json.dumps(log, indent=1))
    return log


def ship(run: Path, work: Path, out: Path, corpus: Path, weights_from: Path | None = None) -> Path:
    """Copy the run into `out` (with `weights_from`'s weights if given) and write checkpoints/index.json; returns
    the index's path."""
    log = json.loads((run / "training.json").read_text())
    cfg = TrainConfig(**(log["config"] | {"corpus": [str(corpus / Path(p).name) for p in log["config"]["corpus"]]}))
    snapshot = weights_from if weights_from is not None and weights_from.is_dir() else None
    snapshots = [s for s in sorted((work / "checkpoints").glob("step-*")) if snapshot is None or s.name < snapshot.name]
    if folder_size(run) > MODEL_LIMIT or sum(map(folder_size, snapshots)) > CHECKPOINTS_LIMIT:
        raise GptMathError(f"the run is too big to ship (model ≤ {MODEL_LIMIT / 1e6:.0f} MB, "
                           f"checkpoints ≤ {CHECKPOINTS_LIMIT / 1e6:.0f} MB): keep fewer snapshots")
    if weights_from is not None and not (weights_from.is_file() or (weights_from / "config.json").is_file()):
        raise GptMathError(f"no checkpoint at {weights_from}: give a run's WORK/checkpoint.pt or one of its snapshots")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.name not in KEEP:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    for f in run.iterdir():
        shutil.copy2(f, out / f.name)
    if snapshot is not None:
        log = use_snapshot_weights(out, snapshot, work / "checkpoint.pt", log)
    elif weights_from is not None:
        log = use_checkpoint_weights(out, weights_from, log)
    for snap in snapshots:
        shutil.copytree(snap, out / "checkpoints" / snap.name)

    final = load_model(out)
    probe = probe_document(cfg, final)
    ids = probe_ids(cfg, probe, corpus, final)
    evals = {e["step"]: e for e in log["history"]["evals"]}
    last = max(evals)
    entries = [(int(s.name.split("-")[1]), f"{s.name}") for s in snapshots] + [(last, "..")]
    index = {"probe": probe, "checkpoints": []}
    for step, name in entries:
        e = evals[step]
        model = final if name == ".." else load_model(out / "checkpoints" / name)
        index["checkpoints"].append({"step": step, "tokens_seen": e["tokens_seen"], "folder": f"checkpoints/{name}"
                                     if name != ".." else ".", "nats_per_token": round(e["nats_per_token"], 5),
                                     "bits_per_byte": round(e["bits_per_byte"], 5),
                                     "probe_nats": round(mean_loss(model, ids), 5)})
    path = out / INDEX
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(index, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m gpttrain.ship", description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path, required=True, help="the training's --out folder (its model)")
    ap.add_argument("--work", type=Path, required=True, help="the training's --work folder (its snapshots)")
    ap.add_argument("--out", type=Path, required=True, help="the model folder to write, e.g. assets/models/NAME")
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"), help="folder of the corpus files")
    ap.add_argument("--weights-from", type=Path, help="a resumable checkpoint (WORK/checkpoint.pt: the run's last "
                    "step) or a snapshot (WORK/checkpoints/step-NNNNNN) whose weights to ship instead of the run's best")
    args = ap.parse_args(argv)
    try:
        print(ship(args.run, args.work, args.out, args.corpus, args.weights_from))
    except GptMathError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
