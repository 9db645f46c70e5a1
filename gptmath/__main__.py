"""Command line: `python -m gptmath trace|next|generate ...` (see --help)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import GptMathError

MODEL_HELP = "hub id or folder written by save_pretrained (default: the model shipped in assets/)"


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m gptmath", description="Run a real GPT-2 forward pass and record every stage.")
    sub = ap.add_subparsers(dest="command", required=True)

    t = sub.add_parser("trace", help="write every intermediate value of one forward pass to an .npz file")
    t.add_argument("--model", help=MODEL_HELP)
    t.add_argument("--prompt", required=True, help="the text to run through the model")
    t.add_argument("--out", required=True, type=Path, help="the .npz file to write (keys are TransformerLens hook names)")

    n = sub.add_parser("next", help="print the most likely next tokens after the prompt")
    n.add_argument("--model", help=MODEL_HELP)
    n.add_argument("--prompt", required=True, help="the text to continue")
    n.add_argument("--top-k", type=int, default=10, help="how many tokens to list (default 10)")
    n.add_argument("--temperature", type=float, default=1.0, help="softmax temperature, > 0 (default 1)")

    g = sub.add_parser("generate", help="continue the prompt by sampling token after token")
    g.add_argument("--model", help=MODEL_HELP)
    g.add_argument("--prompt", required=True, help="the text to continue")
    g.add_argument("--tokens", type=int, default=40, help="how many tokens to add (default 40)")
    g.add_argument("--temperature", type=float, default=1.0, help="softmax temperature, > 0 (default 1)")
    g.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same text (default 0)")
    g.add_argument("--greedy", action="store_true", help="always take the most likely token")
    return ap


def _run(args: argparse.Namespace) -> None:
    from .load import load_model
    from .sampling import check_temperature, generate, softmax_with_temperature, top_k

    if args.command in ("next", "generate"):
        check_temperature(args.temperature)  # fail before the slow model load
    if args.command == "trace" and args.out.suffix != ".npz":
        raise GptMathError(f"--out must end in .npz (got {args.out})")
    model = load_model(args.model)
    if args.command == "trace":
        trace = model.trace(args.prompt)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        trace.save(args.out)
        print(f"wrote {len(trace.keys())} arrays for {trace.n_positions} tokens to {args.out}")
    elif args.command == "next":
        logits = model.trace(args.prompt)["logits"][-1]
        probs = softmax_with_temperature(logits, args.temperature)
        for c in top_k(logits, probs, args.top_k, model.token_strings):
            print(f"{c.prob:8.2%}  {c.logit:8.3f}  {c.text!r}")
    else:
        steps = generate(model, args.prompt, args.tokens, args.temperature, args.seed, greedy=args.greedy)
        print(args.prompt + model.decode([s.chosen for s in steps]))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except GptMathError as exc:
        print(f"gptmath: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
