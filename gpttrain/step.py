"""One step of gradient descent on one example, computed for real: what training does, once.

    from gpttrain.step import gradient_step
    s = gradient_step("assets/models/tinytales-gpt2", "Once upon a time, there was a little dog", lr=0.01)
    s.p_before, s.p_after   # probability of the last token (" dog") given the rest, before and after the step
"""
from __future__ import annotations

from gptmath import GptMathError
from gptmath.cache import GradientStep


def gradient_step(model: str, text: str, lr: float = 0.01) -> GradientStep:
    """Load the checkpoint in transformers (float32), take one step w ← w − lr·∇loss on `text`, measure both sides."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, logging

    logging.set_verbosity_error()
    try:
        net = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(model)
    except Exception as exc:  # transformers raises many types; the user needs one line
        raise GptMathError(f"could not load {model!r} for a training step: {str(exc).splitlines()[0]}") from None
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) < 2:
        raise GptMathError("a training example needs at least two tokens: give a longer text")
    x = torch.tensor([ids])

    def measure() -> tuple[float, float]:
        with torch.no_grad():
            out = net(x, labels=x)
            p = torch.softmax(out.logits[0, -2].float(), dim=-1)[ids[-1]]
        return float(out.loss), float(p)

    net.eval()  # no dropout: the step is deterministic
    loss_before, p_before = measure()
    changed = 0

    def descend(p: torch.Tensor) -> None:
        """w ← w − lr·∇ for one weight as soon as its gradient is whole, then free the gradient: no copy of the
        model's weights or of all its gradients is ever held (a 1.5B model: 6 GB each)."""
        nonlocal changed
        with torch.no_grad():
            stepped = p - lr * p.grad
            changed += int((stepped != p).sum())
            p.copy_(stepped)
        p.grad = None

    hooks = [p.register_post_accumulate_grad_hook(descend) for p in net.parameters()]
    net(x, labels=x).loss.backward()
    for hook in hooks:
        hook.remove()
    loss_after, p_after = measure()
    total = sum(p.numel() for p in net.parameters())
    return GradientStep(ids, lr, loss_before, loss_after, p_before, p_after, changed, total)
