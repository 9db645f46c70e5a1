"""Big checkpoints on an ordinary machine: load time, the trace of 32 tokens (gptmath beside transformers eager),
and peak memory as a multiple of the checkpoint's size, for random checkpoints of real models' shapes.

    python benchmarks/big_models.py                    # GPT-2 small, medium, large and a Llama-3.2-1B shape
    python benchmarks/big_models.py small xl           # the shapes named (xl: 6.2 GB on disk, 13 GB free memory)
    python benchmarks/big_models.py --threads 1        # one BLAS thread in both libraries (a busy machine)
    python benchmarks/big_models.py medium --no-transformers --scenes Temperature EmbeddingSpace
                                                       # and ./render.sh of those scenes with that model

With --scenes, the render command (480p, default jobs, no voice) renders the named scenes with each shape: its
wall time, then each scene again in a fresh process as a scene process runs (animations skipped, at 480p, the
render's caches warm): the seconds until it holds its model and trace ("start-up") and its peak.

Each checkpoint is written to a temporary folder tensor by tensor (names and shapes from transformers' own model,
built on the meta device, so no model is ever held in memory to write it), with the shipped model's tokenizer.
Each measurement runs in a fresh process; its peak is the kernel's VmHWM (resident high-water mark, the mapped
file's pages included). "first" is the first trace after loading (the memory-mapped weights are read then),
"warm" the best of the next two. The machine's load average is printed with each row: on a shared 2-core machine
the BLAS threads of both libraries wait on each other's work, and the times grow several-fold.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TOKENIZER = ROOT / "assets" / "models" / "tinytales-gpt2"
N_TOKENS = 32

# name -> (model_type, dtype on disk, config keywords): the shapes of GPT-2 small ... XL and Llama-3.2-1B
SHAPES: dict[str, tuple[str, str, dict]] = {
    "small": ("gpt2", "F32", dict(n_layer=12, n_head=12, n_embd=768)),
    "medium": ("gpt2", "F32", dict(n_layer=24, n_head=16, n_embd=1024)),
    "large": ("gpt2", "F32", dict(n_layer=36, n_head=20, n_embd=1280)),
    "xl": ("gpt2", "F32", dict(n_layer=48, n_head=25, n_embd=1600)),
    "llama-1b": ("llama", "BF16", dict(num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
                                      hidden_size=2048, intermediate_size=8192, vocab_size=128256, head_dim=64,
                                      tie_word_embeddings=True, max_position_embeddings=2048,
                                      rope_parameters={"rope_type": "default", "rope_theta": 500000.0})),
}
DEFAULT = ["small", "medium", "large", "llama-1b"]


def write_checkpoint(folder: Path, model_type: str, dtype: str, config: dict, seed: int = 0) -> int:
    """A random checkpoint of the shape in `folder` (config.json, model.safetensors, the tokenizer); its size."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = AutoConfig.for_model(model_type, **config)
    with torch.device("meta"):
        names = {k: tuple(v.shape) for k, v in AutoModelForCausalLM.from_config(cfg).state_dict().items()}
    if cfg.tie_word_embeddings:
        names.pop("lm_head.weight", None)
    folder.mkdir(parents=True)
    cfg.save_pretrained(folder)
    for f in TOKENIZER.glob("tokenizer*"):
        shutil.copy(f, folder)
    itemsize, offset, header = 4 if dtype == "F32" else 2, 0, {}
    for name, shape in names.items():
        size = int(np.prod(shape)) * itemsize
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    rng = np.random.default_rng(seed)
    with open(folder / "model.safetensors", "wb") as f:
        f.write(len(head).to_bytes(8, "little") + head)
        for name, shape in names.items():
            x = rng.standard_normal(shape, dtype=np.float32) * 0.02
            if len(shape) == 1 and "weight" in name:  # norm weights about 1, as trained models have
                x += 1
            f.write(x.tobytes() if dtype == "F32" else (x.view(np.uint32) >> 16).astype(np.uint16).tobytes())
    return (folder / "model.safetensors").stat().st_size


GPTMATH = """
import json, time
import numpy as np
t = time.perf_counter()
from gptmath import load_model
model = load_model({folder!r})
load = time.perf_counter() - t
ids = np.random.default_rng(0).integers(0, model.config.vocab_size, {n})
times = []
for _ in range(3):
    t = time.perf_counter()
    trace = model.trace_ids(ids)
    times.append(time.perf_counter() - t)
    del trace
print(json.dumps([load, times[0], min(times[1:])]))
"""

TRANSFORMERS = """
import json, time
import numpy as np, torch
t = time.perf_counter()
from transformers import AutoModelForCausalLM
hf = AutoModelForCausalLM.from_pretrained({folder!r}, dtype=torch.float32, attn_implementation="eager").eval()
load = time.perf_counter() - t
ids = torch.tensor(np.random.default_rng(0).integers(0, hf.config.vocab_size, {n}))[None]
times = []
for _ in range(3):
    t = time.perf_counter()
    with torch.no_grad():
        out = hf(ids, output_attentions=True, output_hidden_states=True)
    times.append(time.perf_counter() - t)
    del out
print(json.dumps([load, times[0], min(times[1:])]))
"""

PEAK = """
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps(int(status["VmHWM"].split()[0]) * 1024))
"""


SCENE = """
import json, tempfile, time
t = time.perf_counter()
from manim import tempconfig
from scenes.cli import SCENE_MODULE
import importlib
scene_cls = getattr(importlib.import_module("scenes." + SCENE_MODULE[{scene!r}]), {scene!r})
from scenes.data import scene_data
from scenes.settings import Settings
settings = Settings(model={folder!r})
imported = time.perf_counter()
scene_data(settings)
ready = time.perf_counter()
with tempconfig({{"pixel_width": 854, "pixel_height": 480, "media_dir": tempfile.mkdtemp(), "save_last_frame": True,
                 "write_to_movie": False, "disable_caching": True, "verbosity": "WARNING", "progress_bar": "none"}}):
    scene_cls(settings=settings).render()
print(json.dumps([ready - imported, time.perf_counter() - t]))
"""


def measure_scenes(folder: Path, scenes: list[str], threads: int | None) -> None:
    """Print the render command's wall time for `scenes` with the model in `folder`, then each scene process's
    start-up, time and peak."""
    import time

    with tempfile.TemporaryDirectory(prefix="big-render-") as out:
        t = time.perf_counter()
        render = subprocess.Popen([sys.executable, "-m", "scenes", *scenes, "--model", str(folder), "--voice", "none",
                                   "--out", out], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True, env=blas_env(threads))
        errors = render.stderr.read()
        _, status, usage = os.wait4(render.pid, 0)  # its peak: the largest of it and the processes it waited for
        if os.waitstatus_to_exitcode(status):
            sys.exit(f"rendering {', '.join(scenes)} failed: {errors.strip().splitlines()[-1]}")
        print(f"  ./render.sh {' '.join(scenes)} --model {folder.name}: {time.perf_counter() - t:.1f} s, "
              f"peak {usage.ru_maxrss / 1e6:.1f} GB (load average {os.getloadavg()[0]:.1f})", flush=True)
    for scene in scenes:
        done = subprocess.run([sys.executable, "-c", SCENE.format(scene=scene, folder=str(folder)) + PEAK], cwd=ROOT,
                              capture_output=True, text=True, env=blas_env(threads))
        if done.returncode:
            sys.exit(f"measuring {scene} failed: {done.stderr.strip().splitlines()[-1]}")
        *_, times, peak = done.stdout.splitlines()
        (start, total), peak = json.loads(times), int(peak)
        print(f"    {scene:18} start-up {start:5.2f} s, whole process {total:5.1f} s, peak {peak / 1e6:6.0f} MB",
              flush=True)


def blas_env(threads: int | None) -> dict[str, str]:
    """This process's environment, with `threads` BLAS and OpenMP threads (None: the libraries' own choice)."""
    env = dict(os.environ)
    if threads is not None:
        env |= {"OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads)}
    return env


def measure(code: str, folder: Path, threads: int | None) -> tuple[list[float], int]:
    """[load s, first trace s, warm trace s] and peak resident bytes of `code` run in a fresh process (with
    `threads` BLAS and OpenMP threads, else the libraries' own choice)."""
    done = subprocess.run([sys.executable, "-c", code.format(folder=str(folder), n=N_TOKENS) + PEAK], cwd=ROOT,
                          capture_output=True, text=True, env=blas_env(threads))
    if done.returncode:
        sys.exit(f"measuring {folder.name} failed: {done.stderr.strip().splitlines()[-1]}")
    *_, times, peak = done.stdout.splitlines()
    return json.loads(times), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shapes", nargs="*", default=DEFAULT, help=f"shapes to measure: {', '.join(SHAPES)}")
    parser.add_argument("--no-transformers", action="store_true", help="measure gptmath only")
    parser.add_argument("--threads", type=int, help="BLAS/OpenMP threads for both libraries (default: theirs)")
    parser.add_argument("--scenes", nargs="+", default=[], metavar="SCENE",
                        help="also render these scenes with each shape (wall time; each scene process's peak)")
    args = parser.parse_args()
    if unknown := [s for s in args.shapes if s not in SHAPES]:
        parser.error(f"unknown shape {unknown[0]!r}: choose from {', '.join(SHAPES)}")
    from scenes.cli import SCENE_MODULE

    if unknown := [s for s in args.scenes if s not in SCENE_MODULE]:
        parser.error(f"unknown scene {unknown[0]!r}: choose from {', '.join(SCENE_MODULE)}")
    print(f"{'shape':9} {'on disk':>9} | {'gptmath load':>12} {'trace first':>11} {'warm':>6} {'peak':>6} | "
          f"{'transformers load':>17} {'forward first':>13} {'warm':>6} {'peak':>6}")
    for name in args.shapes:
        model_type, dtype, config = SHAPES[name]
        with tempfile.TemporaryDirectory(prefix=f"big-{name}-") as tmp:
            folder = Path(tmp) / name
            size = write_checkpoint(folder, model_type, dtype, config)
            (load, first, warm), peak = measure(GPTMATH, folder, args.threads)
            row = (f"{name:9} {size / 1e9:6.2f} GB | {load:10.2f} s {first:9.2f} s {warm:4.2f} s "
                   f"{peak / size:5.2f}x |")
            if not args.no_transformers:
                (load, first, warm), peak = measure(TRANSFORMERS, folder, args.threads)
                row += f" {load:15.2f} s {first:11.2f} s {warm:4.2f} s {peak / size:5.2f}x"
            print(row, f"  ({dtype.lower()}, {N_TOKENS} tokens, load average {os.getloadavg()[0]:.1f})", flush=True)
            if args.scenes:
                measure_scenes(folder, args.scenes, args.threads)


if __name__ == "__main__":
    main()
