"""gptmath: a transparent GPT forward pass in numpy that records every stage.

Reads GPT-2, GPT-Neo, GPT-NeoX/Pythia, Llama/Mistral/SmolLM2 and Qwen2 checkpoints;
trace keys are TransformerLens hook names (built in gptmath.hooks).

    from gptmath import load_model
    model = load_model()                 # the small GPT-2 shipped in assets/
    trace = model.trace("Once upon a time")
    trace["blocks.0.attn.hook_pattern"]  # [heads, query, key]
"""
from .errors import GptMathError
from .load import DEFAULT_MODEL, Model, load_model
from .model import Config, Weights, forward
from .sampling import generate, softmax_with_temperature, top_k
from .trace import Trace

__all__ = ["DEFAULT_MODEL", "Config", "GptMathError", "Model", "Trace", "Weights", "forward", "generate",
           "load_model", "softmax_with_temperature", "top_k"]
