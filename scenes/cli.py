"""`python -m scenes` (and ./render.sh): render the story, figures, data and slides.

Options come from the defaults, then a TOML config file (--config, same keys
with underscores, e.g. `top_k = 5`), then the command line. Everything is
checked, and the model's forward pass is computed once and cached, before
any scene renders; scenes then render in parallel processes.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, fields, replace
from pathlib import Path

from gptmath import GptMathError

from scenes.film import join_subtitles, join_videos
from scenes.settings import Output, Settings
from scenes.slides import build_slides, slide_module
from scenes.voice import check_step_names, report_voice, write_script

ROOT = Path(__file__).resolve().parent.parent
SCENE_DIR = Path(__file__).resolve().parent

# The story, in order: (module in scenes/, Scene class).
SCENES: list[tuple[str, str]] = [
    ("introduction", "Introduction"),
    ("tokenization", "Tokenization"),
    ("embedding", "Embedding"),
    ("embedding_space", "EmbeddingSpace"),
    ("attention_arcs", "AttentionArcs"),
    ("attention_head", "AttentionHead"),
    ("multi_head_attention", "MultiHeadAttention"),
    ("in_context_copying", "InContextCopying"),
    ("mlp_block", "MLPBlock"),
    ("forward_pass", "ForwardPass"),
    ("unembedding", "Unembedding"),
    ("temperature", "Temperature"),
    ("generation", "Generation"),
    ("chat", "Chat"),
    ("parameter_count", "ParameterCount"),
    ("pre_training", "PreTraining"),
    ("recap", "Recap"),
]
SCENE_MODULE = dict((cls, mod) for mod, cls in SCENES)
QUALITY_DIR = {"l": "480p15", "m": "720p30", "h": "1080p60", "p": "1440p60", "k": "2160p60"}
RUN_OPTIONS = {"scenes": None, "quality": "l", "jobs": os.cpu_count() or 1, "out": "out", "figures": False,
               "data": False, "slides": False, "video": True, "voice": "espeak", "narration_dir": "narration",
               "voice_cache": None}


class RenderFailed(GptMathError):
    """Rendering began and part of it failed (exit code 1); other errors are bad input (exit code 2)."""


def parser() -> argparse.ArgumentParser:
    d = Settings()
    ap = argparse.ArgumentParser(prog="./render.sh", description=(
        "Render the scenes of a real GPT-2 forward pass. With no options: every scene with the shipped model, "
        "at preview quality, joined into one video. `%(prog)s narration [OPTIONS]` writes only the script, "
        "out/narration.md."))
    ap.add_argument("scenes", nargs="*", metavar="SCENE", help=f"scenes to render (default: all): {', '.join(SCENE_MODULE)}")
    ap.add_argument("-q", "--quality", choices=list(QUALITY_DIR), help="l 480p15 (default), m 720p30, h 1080p60, p 1440p60, k 2160p60")
    ap.add_argument("--prompt", help=f"the text the model reads (default: {d.prompt!r}, or the --lang's own)")
    ap.add_argument("--model", help="hub id or folder written by save_pretrained (default: the --lang's model in assets/)")
    ap.add_argument("--layer", type=int, help="layer for the attention and MLP scenes (default: the clearest head's)")
    ap.add_argument("--head", type=int, help="attention head (default: the clearest previous-token head)")
    ap.add_argument("--position", type=int, help="token position for per-token scenes, negative from the end (default -1)")
    ap.add_argument("--temperature", type=float, help=f"sampling temperature, > 0 (default {d.temperature})")
    ap.add_argument("--seed", type=int, help=f"random seed for sampling (default {d.seed})")
    ap.add_argument("--top-k", type=int, help=f"how many next tokens to list (default {d.top_k})")
    ap.add_argument("--lang", help=f"language of on-screen text: en or ja (default {d.lang})")
    ap.add_argument("--theme", help="dark (default), or light: white paper, for figures and handouts")
    ap.add_argument("--jobs", "-j", type=int, help="scenes rendered at once (default: number of cores)")
    ap.add_argument("--out", help="output folder (default: out)")
    ap.add_argument("--config", type=Path, help="TOML file with any of these options (command line wins)")
    ap.add_argument("--figures", action="store_true", default=None, help="also save a PNG, SVG and PDF still of every step")
    ap.add_argument("--data", action="store_true", default=None, help="also save the trace (npz) and a JSON summary")
    ap.add_argument("--slides", action="store_true", default=None, help="also build a manim-slides HTML presentation")
    ap.add_argument("--no-video", dest="video", action="store_false", default=None,
                    help="skip the videos (with --figures: only the stills, much faster)")
    ap.add_argument("--voice", help="who speaks the narration: espeak (default, offline), or none for a silent video; "
                    "recordings in --narration-dir come first")
    ap.add_argument("--narration-dir", type=Path, help="folder of your recordings, "
                    "<lang>/<Scene>/<NN>_<step>.wav|flac|mp3, named as out/narration.md lists them (default: narration)")
    ap.add_argument("--voice-cache", type=Path, help="folder of synthesised clips, kept between renders "
                    "(default: ~/.cache/gpt-manim/voice)")
    ap.add_argument("--list", action="store_true", help="list the scenes in story order and exit")
    return ap


def typed(action: argparse.Action, value, where: str):
    """A value from a config file or from Python, as the command line would parse it, or a one-line error."""
    kind = bool if action.nargs == 0 else action.type or str
    if action.nargs == "*":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif kind in (str, Path):
        ok = isinstance(value, (str, os.PathLike))
    else:
        ok = isinstance(value, (int, float) if kind is float else kind) and isinstance(value, bool) == (kind is bool)
    if not ok:
        want = "a list of scene names" if action.nargs == "*" else kind.__name__
        raise GptMathError(f"{action.dest} in {where} must be {want}, not {value!r}")
    return value if action.nargs == "*" else kind(value)


def check_types(values: dict, where: str) -> dict:
    """Config-file or Python values (None: the default) in the types the command line gives them."""
    actions = {a.dest: a for a in parser()._actions}
    return {k: v if v is None else typed(actions[k], v, where) for k, v in values.items()}


def merge_options(args: argparse.Namespace) -> tuple[Settings, dict]:
    """Defaults < config file < command line; returns the scene settings and the run options."""
    from_file: dict = {}
    if args.config is not None:
        try:
            from_file = tomllib.loads(Path(args.config).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise GptMathError(f"cannot read config file {args.config}: {exc}") from None
    setting_names = {f.name for f in fields(Settings)} - {"output"}
    unknown = set(from_file) - setting_names - set(RUN_OPTIONS)
    if unknown:
        raise GptMathError(f"unknown key(s) in {args.config}: {', '.join(sorted(unknown))}")
    from_file = check_types(from_file, str(args.config))
    cli = {k: v for k, v in vars(args).items() if v is not None and v != []}

    def pick(name: str, default):
        return cli.get(name, from_file.get(name, default))

    settings = Settings(**{f.name: pick(f.name, f.default) for f in fields(Settings) if f.name != "output"})
    run = {n: pick(n, d) for n, d in RUN_OPTIONS.items()}
    run["scenes"] = list(run["scenes"] or SCENE_MODULE)
    return settings.check(), run


def check_run(run: dict) -> None:
    unknown = [s for s in run["scenes"] if s not in SCENE_MODULE]
    if unknown:
        raise GptMathError(f"unknown scene(s) {', '.join(unknown)}: choose from {', '.join(SCENE_MODULE)}")
    if run["quality"] not in QUALITY_DIR:
        raise GptMathError(f"quality must be one of {', '.join(QUALITY_DIR)} (got {run['quality']!r})")
    if run["jobs"] < 1:
        raise GptMathError(f"--jobs must be at least 1 (got {run['jobs']})")
    if not (run["video"] or run["figures"] or run["slides"] or run["data"] or run.get("script_only")):
        raise GptMathError("--no-video leaves nothing to do: add --figures, --data or --slides")


def check_voice(settings: Settings, run: dict) -> list[Path]:
    """The voice can speak and every recording in the narration folder fits a step (one-line errors otherwise);
    returns the recordings found."""
    from scenes.voice import check_recordings, speech_service

    speech_service(run["voice"], voice_cache(run))
    folder = Path(run["narration_dir"])
    if not (folder / settings.lang).is_dir():
        return []
    keys = {scene: getattr(importlib.import_module(f"scenes.{module}"), scene).narration_keys(settings.lang)
            for scene, module in SCENE_MODULE.items()}
    return check_recordings(folder, settings.lang, keys)


def recorded_steps(settings: Settings, run: dict) -> dict[str, list[str]]:
    """The line names (03_show_ids) of each scene to render that has recordings, so that a recording's number
    is checked against its step before anything renders: as the last render with the same settings, model and
    code found them, else from the scene's story told once with the animations skipped and no voice, in a
    folder of its own (nothing in out/ changes)."""
    scenes = [s for s in SCENE_MODULE if s in run["scenes"] and s in {f.parent.name for f in run["recordings"]}]
    todo = [scene for scene in scenes if not steps_file(run, scene).exists()]
    if todo:
        print(f"Checking the recordings' names against the steps of {', '.join(todo)}…", flush=True)
        dry = dict(run, video=False, figures=False, slides=False, voice="none", recordings=[])
        with tempfile.TemporaryDirectory(prefix="gpt-manim-steps-") as tmp, \
                ThreadPoolExecutor(max_workers=min(run["jobs"], len(todo))) as pool:
            list(pool.map(lambda scene: render_one(scene, settings, dry, Path(tmp)), todo))
            remember_steps(run, todo, Path(tmp) / "script")
    return {scene: json.loads(steps_file(run, scene).read_text(encoding="utf-8")) for scene in scenes
            if steps_file(run, scene).exists()}  # a scene that fails says so when it renders


def steps_key(settings: Settings, fingerprint: str) -> str:
    """What decides the scenes' steps: the settings, the model (its weights' and tokenizer's fingerprint) and
    the scenes' code and catalogues."""
    h = hashlib.sha256(json.dumps([asdict(replace(settings, output=Output())), fingerprint]).encode())
    for path in sorted(SCENE_DIR.rglob("*.py")) + sorted(SCENE_DIR.rglob("*.toml")):
        h.update(path.read_bytes())
    return h.hexdigest()[:24]


def steps_file(run: dict, scene: str) -> Path:
    """Where the line names of a scene under run["steps_key"] are kept, beside the voice's clips."""
    return voice_cache(run) / "steps" / f"{scene}-{run['steps_key']}.json"


def remember_steps(run: dict, scenes: list[str], scripts: Path) -> None:
    """Keep the line names of each scene whose script (GPTScene.write_script) is in `scripts`."""
    for scene in scenes:
        if (scripts / f"{scene}.json").exists():
            lines = json.loads((scripts / f"{scene}.json").read_text(encoding="utf-8"))["lines"]
            steps_file(run, scene).parent.mkdir(parents=True, exist_ok=True)
            steps_file(run, scene).write_text(json.dumps([line["name"] for line in lines]), encoding="utf-8")


def voice_cache(run: dict) -> Path:
    from scenes.voice import default_cache

    return Path(run["voice_cache"]).resolve() if run["voice_cache"] else default_cache()


def prepare(settings: Settings, scenes: list[str] | None = None):
    """Load the model, compute (and cache) the trace, resolve layer/head/position: fails fast. Then compute (and
    cache) what the scenes to render read beyond the trace, so that their processes only read it back."""
    from scenes.data import precompute, scene_data

    data = scene_data(settings)
    precompute(data, scenes or [])
    return data


def write_data(data, out: Path) -> list[Path]:
    """The trace behind the video and a small JSON summary of what the scenes show."""
    from gptmath.sampling import softmax_with_temperature, top_k

    out.mkdir(parents=True, exist_ok=True)
    s, trace = data.settings, data.trace
    logits = trace["logits"][-1]
    probs = softmax_with_temperature(logits, s.temperature)
    summary = {
        "prompt": s.prompt, "model": data.model.name, "settings": asdict(s),
        "tokens": trace.token_strings, "ids": data.ids,
        "layer": data.layer, "head": data.head, "position": data.position,
        "config": asdict(data.model.config),
        "next_tokens": [asdict(c) for c in top_k(logits, probs, s.top_k, data.model.token_strings)],
    }
    trace_path, summary_path = out / "trace.npz", out / "summary.json"
    trace.save(trace_path)
    summary_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return [trace_path, summary_path]


def render_one(scene: str, settings: Settings, run: dict, out: Path) -> tuple[str, bool, float, list[Path], Path]:
    """Render one scene in its own manim process; returns (scene, ok, seconds, files, log)."""
    module = SCENE_MODULE[scene]
    # Each process its own media folder: manim caches text and Typst SVGs there under content hashes, written
    # without a lock, so scenes rendered at once could read each other's half-written files.
    media, logs = out / "media" / scene, out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    output = Output(figures=str(out / "figures") if run["figures"] else None,
                    subtitles=str(out / "subtitles") if run["video"] else None, slides=run["slides"],
                    voice=run["voice"], sound=run["voice"] != "none" or bool(run.get("recordings")),
                    narration_dir=str(Path(run["narration_dir"]).resolve()),
                    voice_cache=str(voice_cache(run)), script=str(out / "script"))
    env = os.environ | replace(settings, output=output).to_env()  # what the scene process reads, once
    cwd = out / "slides_work" if run["slides"] else out
    cwd.mkdir(parents=True, exist_ok=True)
    source = slide_module(module, scene, cwd / "scene_modules" / scene) if run["slides"] else SCENE_DIR / f"{module}.py"
    cmd = [sys.executable, "-m", "manim", "render", f"-q{run['quality']}", "--media_dir", str(media),
           "--progress_bar", "none", "-v", "WARNING", str(source), scene]
    if not run["video"] and not run["slides"]:
        cmd.insert(4, "-s")  # stills (or only the script): skip the animation frames
    log = logs / f"{scene}.log"
    start = time.time()
    with open(log, "w") as f:
        ok = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, cwd=cwd).returncode == 0
    files: list[Path] = []
    video = media / "videos" / module / QUALITY_DIR[run["quality"]] / f"{scene}.mp4"
    if ok and run["video"] and video.exists():
        index = list(SCENE_MODULE).index(scene) + 1
        target = out / "videos" / f"{index:02d}_{scene}.mp4"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(video, target)
        files.append(target)
        srt = out / "subtitles" / f"{scene}.srt"
        if srt.exists():
            os.replace(srt, target.with_suffix(".srt"))
            files.append(target.with_suffix(".srt"))
    if ok and run["figures"]:
        files += sorted((out / "figures").glob(f"{scene}_*.*"))
    return scene, ok, time.time() - start, files, log


def main(argv: list[str] | None = None) -> int:
    """`python -m scenes [OPTIONS] [SCENE...]` renders; `python -m scenes narration [OPTIONS] [SCENE...]` only
    writes out/narration.md, the script with its real numbers and clip lengths (no frames drawn)."""
    argv = sys.argv[1:] if argv is None else argv
    script_only = argv[:1] == ["narration"]
    args = parser().parse_args(argv[1:] if script_only else argv)
    if args.list:
        print("\n".join(f"{i:2d}. {cls}  (scenes/{mod}.py)" for i, (mod, cls) in enumerate(SCENES, 1)))
        return 0
    try:
        settings, run = merge_options(args)
        if script_only:
            run.update(video=False, figures=False, slides=False, data=False, script_only=True)
        produce(settings, run)
    except GptMathError as exc:
        print(f"render: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, RenderFailed) else 2
    return 0


def render(scenes: str | list[str] | None = None, **options) -> list[Path]:
    """The command line from Python: `render(["AttentionHead"], prompt="...", quality="l", figures=True)`.

    Options are the long options with underscores (`top_k=5`, `video=False`, `config="lecture.toml"`), with
    the same defaults, config file and checks. Returns the files written; raises GptMathError (one line) on
    bad input, before anything is written, and RenderFailed when a scene or the slides fail."""
    args = parser().parse_args([])
    unknown = set(options) - (set(vars(args)) - {"list", "scenes"})
    if unknown:
        raise GptMathError(f"unknown option(s) {', '.join(sorted(unknown))}: use the long options of "
                           f"./render.sh --help with underscores (top_k=5)")
    options["scenes"] = [scenes] if isinstance(scenes, str) else scenes
    vars(args).update(check_types(options, "render()"))
    return produce(*merge_options(args))


def produce(settings: Settings, run: dict) -> list[Path]:
    """Check, compute the trace once, then write what `run` asks for; returns the files written."""
    check_run(run)
    run["recordings"] = check_voice(settings, run)
    if run["recordings"]:
        print(f"{len(run['recordings'])} recording(s) in {Path(run['narration_dir']) / settings.lang}", flush=True)
    out = Path(run["out"]).resolve()
    print(f"Loading {settings.model_source} and running the forward pass once…", flush=True)
    rendering = run["video"] or run["figures"] or run["slides"] or run.get("script_only")
    data = prepare(settings, run["scenes"] if rendering else [])
    print(f"  {data.model.name}: {len(data.ids)} tokens, layer {data.layer}, head {data.head}, "
          f"position {data.position}", flush=True)
    run["steps_key"] = steps_key(settings, data.model.fingerprint)
    if run["video"] or run["slides"]:  # what the voice plays: each recording is a step of its scene
        check_step_names(run["recordings"], recorded_steps(settings, run))
    written = write_data(data, out / "data") if run["data"] else []
    for path in written:
        print(f"  data: {path}")
    written += render_all(settings, run, out)
    if run["video"] or run.get("script_only"):
        remember_steps(run, run["scenes"], out / "script")
    return written


def echo_notes(scenes: list[str], logs: Path) -> None:
    """What a scene tells the user (a line of its log starting with its name) reaches the terminal."""
    for scene in scenes:
        log = logs / f"{scene}.log"
        for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
            if line.startswith(f"{scene}: "):
                print(line, file=sys.stderr)


def render_all(settings: Settings, run: dict, out: Path) -> list[Path]:
    """Render the chosen scenes in parallel, then join videos and build slides; returns the files written."""
    if not (run["video"] or run["figures"] or run["slides"] or run.get("script_only")):
        return []
    scenes = [s for s in SCENE_MODULE if s in run["scenes"]]  # story order
    jobs = min(run["jobs"], len(scenes))
    print(f"Rendering {len(scenes)} scene(s) at quality {run['quality']} with {jobs} job(s) into {out}", flush=True)
    failed, written = [], []
    start = time.time()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(render_one, s, settings, run, out) for s in scenes]
        for done, future in enumerate(as_completed(futures), 1):
            scene, ok, seconds, files, log = future.result()
            written += files
            where = ", ".join(str(f) for f in files[:1]) + (f" (+{len(files) - 1} more)" if len(files) > 1 else "")
            print(f"  [{done}/{len(scenes)}] {'ok  ' if ok else 'FAIL'} {scene:<20} {seconds:6.1f} s  "
                  f"{where if ok else f'see {log}'}", flush=True)
            if not ok:
                failed.append(scene)
    print(f"Rendered in {time.time() - start:.0f} s", flush=True)
    echo_notes(scenes, out / "logs")
    if failed:
        raise RenderFailed(f"{len(failed)} scene(s) failed: {', '.join(failed)}; the others' files are kept "
                           f"(logs in {out / 'logs'})")
    if run["video"] or run.get("script_only"):  # the film's script (stills alone have no timing to list)
        parts = [out / "script" / f"{s}.json" for s in scenes]
        written.append(write_script(parts, out / "narration.md", settings.lang, Path(run["narration_dir"])))
        report_voice(parts, written[-1], Path(run["narration_dir"]) / settings.lang)
    if run["video"] and len(scenes) > 1:
        videos = [out / "videos" / f"{list(SCENE_MODULE).index(s) + 1:02d}_{s}.mp4" for s in scenes]
        written += [join_videos(videos, out / "gpt.mp4"), join_subtitles(videos, out / "gpt.srt")]
        print(f"Joined video: {written[-2]}\nSubtitles: {written[-1]}")
    if run["slides"]:
        try:
            slides = build_slides(scenes, out)
        except GptMathError as exc:
            raise RenderFailed(str(exc)) from None
        written += slides
        print(f"Slides: {', '.join(map(str, slides))}")
    return written
