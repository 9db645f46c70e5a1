"""Find a checkpoint (folder or hub id), read its files, and hand them to the family's converter."""
from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from .convert import convert
from .chat import read_chat_template
from .errors import GptMathError
from .model import Config, Weights, forward
from .ops import BFLOAT16
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
    chat_template: str | None = None  # Jinja, as in tokenizer_config.json (see gptmath.chat); None if it has none

    @property
    def config(self) -> Config:
        return self.weights.config

    def encode(self, text: str) -> list[int]:
        """The prompt's token ids; an empty prompt is an error."""
        if not text:
            raise GptMathError("the prompt is empty: give some text, e.g. --prompt 'Once upon a time'")
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int] | np.ndarray) -> str:
        """The text of token ids; an embedding row the tokenizer has no token for reads <unused N>."""
        parts = []
        for known, run in groupby((int(i) for i in ids), key=lambda i: i < self.tokenizer.get_vocab_size()):
            run = list(run)
            parts.append(self.tokenizer.decode(run, skip_special_tokens=False) if known
                         else "".join(f"<unused {i}>" for i in run))
        return "".join(parts)

    def token_strings(self, ids: list[int] | np.ndarray) -> list[str]:
        """What each token stands for as text (a lone UTF-8 byte shows as <xx>)."""
        return ["".join(p.text for p in byte_pieces(self.token_bytes(i))) for i in ids]

    def token_bytes(self, token_id: int) -> bytes:
        """The raw bytes a byte-level BPE token stands for.

        An embedding row the tokenizer has no token for (checkpoints pad their
        vocabulary, e.g. Pythia's 50,277 tokens to 50,304 rows) reads <unused N>.
        """
        table, i = self._byte_table, int(token_id)
        return table[i] if i < len(table) and table[i] is not None else f"<unused {i}>".encode()

    @cached_property
    def _byte_table(self) -> list[bytes | None]:
        from .tokens import byte_level_decoder

        decode = byte_level_decoder()
        pieces = [self.tokenizer.id_to_token(i) for i in range(self.tokenizer.get_vocab_size())]
        return [decode(p) if p is not None else None for p in pieces]

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
    """Load a checkpoint of any supported family: None for the shipped default, a folder, or a hub id."""
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
    read, revision = _read_folder(path) if path.is_dir() else None, None
    if read is None:  # .bin weights, no tokenizer.json, or a hub id: let transformers read it
        weights, tokenizer, revision = _read_with_transformers(source)
    else:
        weights, tokenizer = read
    if tokenizer.encode("Once upon a time", add_special_tokens=False).ids == []:
        raise GptMathError(f"the tokenizer of {source!r} turns text into no tokens: re-save it with save_pretrained")
    return Model(name=_display_name(source), weights=weights, tokenizer=tokenizer,
                 fingerprint=fingerprint(source, revision),
                 chat_template=read_chat_template(path) if path.is_dir() else None)


def _weight_files(path: Path) -> list[Path]:
    """The folder's safetensors files: model.safetensors, or every shard of a sharded checkpoint."""
    return sorted(path.glob("model*.safetensors"))


def _read_folder(path: Path) -> tuple[Weights, Tokenizer] | None:
    """A save_pretrained folder with safetensors weights and a tokenizer.json, read without torch (else None)."""
    config_file, tokenizer_file, weight_files = path / "config.json", path / "tokenizer.json", _weight_files(path)
    if not (config_file.is_file() and tokenizer_file.is_file() and weight_files):
        return None
    try:
        config = json.loads(config_file.read_text())
        state = {}
        for f in weight_files:
            state |= read_safetensors(f)
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
    except Exception as exc:  # bad JSON, a damaged weights file, a broken tokenizer: one line for the user
        raise GptMathError(f"could not load model {str(path)!r}: {_first_line(exc)}") from None
    return convert(config, state), tokenizer


def safetensors_header(file: Path) -> tuple[dict, int]:
    """A safetensors file's JSON header (names, dtypes, shapes, offsets) and where its data begins."""
    with open(file, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n)), 8 + n


_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": BFLOAT16, "F64": np.float64}


def read_safetensors(file: Path) -> dict[str, np.ndarray]:
    """Every floating-point tensor of a safetensors file, memory-mapped: read-only views of the file that the
    operating system reads from disk only where they are used (and may drop again), never a copy of the model.

    Tensors keep the file's dtype (bfloat16 as ops.BFLOAT16's raw bytes: numpy has none); ops.widen gives
    float32. Other tensors (boolean masks, integer buffers old checkpoints carry) are skipped: no converter
    reads them.
    """
    header, start = safetensors_header(file)
    with open(file, "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # stays open while any view of it lives
    state = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in _DTYPES:
            continue
        dtype, (begin, end) = np.dtype(_DTYPES[info["dtype"]]), info["data_offsets"]
        raw = np.frombuffer(data, dtype, offset=start + begin, count=(end - begin) // dtype.itemsize)
        state[name] = raw.reshape(info["shape"])
    return state


def _read_with_transformers(source: str) -> tuple[Weights, Tokenizer, str | None]:
    """Any checkpoint transformers can load (folder or hub id) as float32 numpy, with its hub revision."""
    _quiet_transformers()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        hf = AutoModelForCausalLM.from_pretrained(source)
    except Exception as exc:  # transformers raises many types; the user needs one line
        raise GptMathError(f"could not load model {source!r}: {_first_line(exc)}") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(source).backend_tokenizer
    except Exception as exc:
        raise GptMathError(f"could not load the tokenizer of {source!r}: {_first_line(exc)}") from None
    state = {k: v.detach().float().numpy().copy() for k, v in hf.state_dict().items()}
    return convert(hf.config.to_dict(), state), tokenizer, getattr(hf.config, "_commit_hash", None)


def fingerprint(source: str, revision: str | None = None) -> str:
    """Changes whenever a folder's files change, without reading the weights: names, sizes, mtimes, headers.

    For a hub id it is the id and the revision (commit) transformers loaded.
    """
    path = Path(source)
    if not path.is_dir():
        return f"hub:{source}@{revision or 'latest'}"
    h = hashlib.sha256()
    for f in sorted(path.iterdir()):
        if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".txt", ".model"):
            stat = f.stat()
            h.update(f"{f.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
            if f.suffix == ".safetensors":
                h.update(json.dumps(safetensors_header(f)[0], sort_keys=True).encode())
    return h.hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _display_name(source: str) -> str:
    path = Path(source)
    return path.name if path.exists() else source
