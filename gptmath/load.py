"""Load any GPT-2-family checkpoint (folder or hub id) into numpy weights + tokenizer."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from tokenizers import Tokenizer

from .errors import GptMathError
from .model import Block, Config, Weights, forward
from .tokens import byte_pieces
from .trace import Trace

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_MODEL = ASSETS / "models" / "tinytales-gpt2"


@dataclass
class Model:
    """A loaded checkpoint: its name, numpy weights and tokenizer."""

    name: str
    weights: Weights
    tokenizer: Tokenizer  # the `tokenizers` library's tokenizer (what transformers' fast tokenizers wrap)
    fingerprint: str = ""  # changes whenever the weights or tokenizer change

    @property
    def config(self) -> Config:
        return self.weights.config

    def encode(self, text: str) -> list[int]:
        """The prompt's token ids; an empty prompt is an error."""
        if not text:
            raise GptMathError("the prompt is empty: give some text, e.g. --prompt 'Once upon a time'")
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int] | np.ndarray) -> str:
        return self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)

    def token_strings(self, ids: list[int] | np.ndarray) -> list[str]:
        """What each token stands for as text (a lone UTF-8 byte shows as <xx>)."""
        return ["".join(p.text for p in byte_pieces(self.token_bytes(i))) for i in ids]

    def token_bytes(self, token_id: int) -> bytes:
        """The raw bytes a byte-level BPE token stands for."""
        return self._byte_table[int(token_id)]

    @cached_property
    def _byte_table(self) -> list[bytes]:
        from .tokens import byte_level_decoder

        decode = byte_level_decoder()
        pieces = [self.tokenizer.id_to_token(i) for i in range(self.tokenizer.get_vocab_size())]
        return [decode(p) if p is not None else b"" for p in pieces]

    def trace(self, prompt: str) -> Trace:
        """One forward pass over the prompt, every intermediate value recorded."""
        return self.trace_ids(self.encode(prompt))

    def trace_ids(self, ids: list[int]) -> Trace:
        """One forward pass over token ids [p]."""
        return forward(self.weights, ids, self.token_strings(ids))


def _quiet_transformers() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)


def load_model(name_or_path: str | os.PathLike | None = None) -> Model:
    """Load a GPT-2 checkpoint: None for the shipped default, a folder, or a hub id."""
    source = str(name_or_path) if name_or_path is not None else str(DEFAULT_MODEL)
    path = Path(source).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise GptMathError(f"{source} has no config.json: give a folder written by save_pretrained")
        source = str(path)
    elif name_or_path is None:
        raise GptMathError(f"the default model is missing from {DEFAULT_MODEL}: restore assets/ from git")
    elif source.startswith((".", "~", "/")) or source.count("/") > 1:
        raise GptMathError(f"no model folder at {source}: check the path")
    weights, tokenizer = _read_folder(path) if path.is_dir() else (None, None)
    if weights is None:  # sharded, .bin, half precision or a hub id: let transformers read it
        weights, tokenizer = _read_with_transformers(source)
    if tokenizer.encode("Once upon a time", add_special_tokens=False).ids == []:
        raise GptMathError(f"the tokenizer of {source!r} turns text into no tokens: re-save it with save_pretrained")
    return Model(name=_display_name(source), weights=weights, tokenizer=tokenizer, fingerprint=_fingerprint(source))


# GPT2Config's defaults, for keys a config.json may leave out.
GPT2_DEFAULTS = {"n_positions": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": None,
                 "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "scale_attn_weights": True,
                 "scale_attn_by_inverse_layer_idx": False, "tie_word_embeddings": True, "vocab_size": 50257,
                 "model_type": "gpt2"}


def _read_folder(path: Path) -> tuple[Weights | None, Tokenizer | None]:
    """A save_pretrained folder with one float32 model.safetensors and a tokenizer.json, read without torch."""
    files = path / "config.json", path / "model.safetensors", path / "tokenizer.json"
    if not all(f.is_file() for f in files):
        return None, None
    from safetensors.numpy import load_file

    try:
        config = SimpleNamespace(**(GPT2_DEFAULTS | json.loads(files[0].read_text())))
        state = load_file(files[1])
        tokenizer = Tokenizer.from_file(str(files[2]))
    except Exception as exc:  # bad JSON, a damaged weights file, a broken tokenizer: one line for the user
        raise GptMathError(f"could not load model {str(path)!r}: {_first_line(exc)}") from None
    if any(v.dtype != np.float32 for v in state.values()):
        return None, None
    state = {k if k.startswith(("transformer.", "lm_head.")) else f"transformer.{k}": v for k, v in state.items()}
    try:
        return weights_from_state_dict(config_from_hf(config), state), tokenizer
    except KeyError as exc:
        raise GptMathError(f"could not load model {str(path)!r}: weight {exc} is missing") from None


def _read_with_transformers(source: str) -> tuple[Weights, Tokenizer]:
    """Any checkpoint transformers can load (folder or hub id), converted to float32 numpy."""
    _quiet_transformers()
    from transformers import AutoTokenizer, GPT2LMHeadModel

    try:
        hf = GPT2LMHeadModel.from_pretrained(source)
    except Exception as exc:  # transformers raises many types; the user needs one line
        raise GptMathError(f"could not load model {source!r}: {_first_line(exc)}") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(source).backend_tokenizer
    except Exception as exc:
        raise GptMathError(f"could not load the tokenizer of {source!r}: {_first_line(exc)}") from None
    state = {k: v.detach().float().numpy().copy() for k, v in hf.state_dict().items()}
    return weights_from_state_dict(config_from_hf(hf.config), state), tokenizer


def _fingerprint(source: str) -> str:
    """A hash of a model folder's files (config, weights, tokenizer), or the hub id itself."""
    path = Path(source)
    if not path.is_dir():
        return f"hub:{source}"
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".txt", ".model"):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _display_name(source: str) -> str:
    path = Path(source)
    return path.name if path.exists() else source


def config_from_hf(c) -> Config:
    """Our Config from a transformers GPT2Config."""
    if getattr(c, "model_type", "gpt2") != "gpt2":
        raise GptMathError(f"model type {c.model_type!r} is not GPT-2: gptmath reads GPT-2-family checkpoints")
    return Config(
        n_layer=c.n_layer, n_head=c.n_head, d_model=c.n_embd, d_mlp=c.n_inner or 4 * c.n_embd,
        n_ctx=c.n_positions, vocab_size=c.vocab_size, layer_norm_eps=c.layer_norm_epsilon,
        activation=c.activation_function, scale_attn_weights=c.scale_attn_weights,
        scale_attn_by_inverse_layer_idx=c.scale_attn_by_inverse_layer_idx,
        tied_embeddings=bool(getattr(c, "tie_word_embeddings", True)),
    )


def weights_from_state_dict(cfg: Config, sd: dict[str, np.ndarray]) -> Weights:
    """Arrange a GPT2LMHeadModel state dict (numpy float32) into our Weights."""
    d = cfg.d_model

    def blk(i: int) -> Block:
        g = lambda name: sd[f"transformer.h.{i}.{name}"]  # noqa: E731
        W_qkv, b_qkv = g("attn.c_attn.weight"), g("attn.c_attn.bias")  # [d, 3d], [3d]
        return Block(
            ln1_w=g("ln_1.weight"), ln1_b=g("ln_1.bias"),
            W_Q=W_qkv[:, :d], W_K=W_qkv[:, d:2 * d], W_V=W_qkv[:, 2 * d:],
            b_Q=b_qkv[:d], b_K=b_qkv[d:2 * d], b_V=b_qkv[2 * d:],
            W_O=g("attn.c_proj.weight"), b_O=g("attn.c_proj.bias"),
            ln2_w=g("ln_2.weight"), ln2_b=g("ln_2.bias"),
            W_in=g("mlp.c_fc.weight"), b_in=g("mlp.c_fc.bias"),
            W_out=g("mlp.c_proj.weight"), b_out=g("mlp.c_proj.bias"),
        )

    W_E = sd["transformer.wte.weight"]
    W_U = sd.get("lm_head.weight", W_E).T  # [d, V] (absent from the file when tied)
    return Weights(
        config=cfg, W_E=W_E, W_pos=sd["transformer.wpe.weight"],
        blocks=[blk(i) for i in range(cfg.n_layer)],
        ln_f_w=sd["transformer.ln_f.weight"], ln_f_b=sd["transformer.ln_f.bias"],
        W_U=np.ascontiguousarray(W_U),
    )
