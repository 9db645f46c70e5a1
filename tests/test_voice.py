"""The voice: the script spoken with its real numbers, timing that follows the voice, the lecturer's recordings,
the clip cache, and bad input caught before anything renders."""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from scenes.base import GPTScene
from scenes.settings import Output, Settings
from scenes.subtitles import read_srt
from scenes.tokenization import Tokenization
from scenes.spoken import int_ja, spoken
from scenes.voice import PAUSE, Espeak, audio_seconds
from tests.scene_harness import render

needs_espeak = pytest.mark.skipif(os.system("command -v espeak-ng >/dev/null") != 0,
                                  reason="no espeak-ng: ./render.sh setup installs Debian's package")
TONE = 440.0  # Hz: the "recording" the lecturer drops in


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scenes", *args], capture_output=True, text=True, timeout=900)


def write_wav(path: Path, seconds: float, freq: float = TONE, rate: int = 22050, sweep: float = 0.0) -> Path:
    """A mono 16-bit WAV of a sine tone (0 Hz: silence), rising by `sweep` Hz a second (a chirp: no two moments
    of it sound alike, so where it plays can be found by comparing samples)."""
    t = np.arange(round(seconds * rate)) / rate
    samples = (0.5 * np.sin(2 * np.pi * (freq + sweep * t / 2) * t) * 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


RATE = 44100  # samples a second, as the tests read a video's sound


def samples_of(f: av.container.InputContainer) -> np.ndarray:
    """An open file's sound, mono at RATE."""
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=RATE)
    return np.concatenate([r.to_ndarray()[0] for frame in f.decode(f.streams.audio[0])
                           for r in resampler.resample(frame)])


def sound(video: Path) -> tuple[np.ndarray, float, float]:
    """A video's sound (mono at RATE), its sound's length and its picture's length."""
    with av.open(str(video)) as f:
        v, a = f.streams.video[0], f.streams.audio[0]
        picture, heard = float(v.duration * v.time_base), float(a.duration * a.time_base)
        return samples_of(f), heard, picture


def heard_at(samples: np.ndarray, recording: Path, t: float, around: float = 0.5) -> tuple[float, float]:
    """Where the recording's samples best match the sound within `around` seconds of time t: (the time they
    start there, their similarity: 1 for the same samples, near 0 for other sounds)."""
    with av.open(str(recording)) as f:
        rec = samples_of(f)
    a = max(0, round((t - around) * RATE))
    seg = samples[a:a + len(rec) + round(2 * around * RATE)]
    n = 1 << (len(seg) + len(rec)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(seg, n) * np.conj(np.fft.rfft(rec, n)), n)[:len(seg) - len(rec) + 1]
    lag = int(np.argmax(corr))
    return (a + lag) / RATE, corr[lag] / (np.linalg.norm(rec) * np.linalg.norm(seg[lag:lag + len(rec)]) + 1e-12)


def test_numbers_and_token_pieces_are_read_as_spoken():
    assert spoken("The likeliest, “␣girl”, gets 62.2%.", "en") == \
        "The likeliest, “girl”, gets sixty-two point two percent."
    assert spoken("its 50,257 tokens, −1.5 and 0.01", "en") == \
        "its fifty thousand two hundred fifty-seven tokens, minus one point five and zero point zero one"
    assert spoken("bytes such as <e3>, and “␣” alone", "en") == "bytes such as byte E three , and “ space ” alone"
    assert spoken("√64 = 8, W_Q, <|user|>", "en") == "the square root of sixty-four equals eight, W Q, user"
    assert spoken("確率は62.2 %です", "ja") == "かくりつはろくじゅうにてんにパーセントです"
    assert "かんじ" in spoken("漢字", "ja") and "ジーピーティー" in spoken("GPTの", "ja")  # kana, never kanji
    assert [int_ja(n) for n in (300, 600, 800, 3000, 8000, 1024, 50257)] == [
        "さんびゃく", "ろっぴゃく", "はっぴゃく", "さんぜん", "はっせん", "せんにじゅうよん", "ごまんにひゃくごじゅうなな"]


def test_say_takes_a_placeholder_named_key():
    assert inspect.signature(GPTScene.say).parameters["key"].kind is inspect.Parameter.POSITIONAL_ONLY


@needs_espeak
def test_clips_are_speech_of_plausible_length(tmp_path):
    service = Espeak(tmp_path)
    short, long = service.clip("The cat sat.", "en"), service.clip("The cat sat on the mat, and then it slept "
                                                                    "for a very long time.", "en")
    ja = service.clip("モデルは次のトークンを予測します。", "ja")
    for clip in (short, long, ja):
        with wave.open(str(clip.path)) as w:
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768
        assert np.sqrt((x ** 2).mean()) > 0.02  # not silence
    assert 0.5 < short.seconds < 2.5 < long.seconds < 8 and 1 < ja.seconds < 8
    assert service.synthesised == 3 and service.clip("The cat sat.", "en").path == short.path
    assert service.synthesised == 3  # the second time from the cache


@needs_espeak
def test_a_changed_line_synthesises_one_clip(toy_dir, tmp_path, monkeypatch):
    calls = []
    synthesise = Espeak.synthesise
    monkeypatch.setattr(Espeak, "synthesise", lambda self, words, lang, target: (
        calls.append(words), synthesise(self, words, lang, target)))
    output = Output(voice="espeak", voice_cache=str(tmp_path / "cache"))
    first, _ = render(Tokenization, Settings(prompt="The cat sat", model=str(toy_dir), output=output), tmp_path)
    assert len(calls) == len(first.narration) >= 4
    calls.clear()
    second, _ = render(Tokenization, Settings(prompt="The cat sat down", model=str(toy_dir), output=output), tmp_path)
    changed = [line for (_, line), (_, before) in zip(second.narration, first.narration) if line != before]
    assert len(changed) == 1 and calls == [spoken(changed[0], "en")]  # the line with the token count, only


@pytest.fixture(scope="module")
def narrated(toy_dir, tmp_path_factory) -> Path:
    """Introduction and Tokenization at 480p, spoken by espeak-ng, with the lecturer's recording of one step."""
    out = tmp_path_factory.mktemp("voice")
    write_wav(out / "narration" / "en" / "Tokenization" / "03_show_ids.wav", 9.0, sweep=40.0)
    (out / "out").mkdir()
    r = run_cli("Introduction", "Tokenization", "--model", str(toy_dir), "--out", str(out / "out"),
                "--narration-dir", str(out / "narration"), "--voice-cache", str(out / "cache"), "-j", "2")
    assert r.returncode == 0, r.stderr
    (out / "render.stderr").write_text(r.stderr)
    return out / "out"


@needs_espeak
def test_the_sound_is_as_long_as_the_picture_and_each_step_as_its_voice(narrated):
    for scene in ("Introduction", "Tokenization"):
        video = next((narrated / "videos").glob(f"*_{scene}.mp4"))
        samples, heard, picture = sound(video)
        assert abs(heard - picture) <= 1 / 15  # within one frame at 480p15
        script = json.loads((narrated / "script" / f"{scene}.json").read_text())
        lines, ends = script["lines"], script["step_ends"]
        assert abs(script["seconds"] - picture) <= 1 / 15
        for i, line in enumerate(lines):
            stop = min(ends[line["step"] - 1], lines[i + 1]["start"] if i + 1 < len(lines) else picture)
            assert stop >= line["start"] + line["seconds"] + PAUSE - 1e-6, (scene, line["name"])  # never cut off
            a = round(line["start"] * RATE)
            played = samples[a:a + round(line["seconds"] * RATE)]
            assert np.sqrt((played ** 2).mean()) > 0.01, (scene, line["name"])  # voice where a clip plays
            after = samples[round((line["start"] + line["seconds"] + 0.05) * RATE):round((stop - 0.05) * RATE)]
            assert np.sqrt((after ** 2).mean()) < 0.002, (scene, line["name"])  # and quiet until the next line


@needs_espeak
def test_a_recording_is_the_one_heard_and_its_step_follows_it(narrated):
    script = json.loads((narrated / "script" / "Tokenization.json").read_text())
    line = next(line for line in script["lines"] if line["name"] == "03_show_ids")
    assert line["source"] == "recording" and abs(line["seconds"] - 9.0) < 0.01
    assert script["step_ends"][2] - line["start"] >= 9.0 + PAUSE - 1e-6  # far longer than its text takes to read
    recording = narrated.parent / "narration" / "en" / "Tokenization" / "03_show_ids.wav"
    samples, _, _ = sound(next((narrated / "videos").glob("*_Tokenization.mp4")))
    at, similarity = heard_at(samples, recording, line["start"])
    assert similarity > 0.95 and abs(at - line["start"]) <= 1 / 15  # its samples, from its step's start
    assert heard_at(samples, recording, line["start"] - 2)[1] < 0.5  # (the voice before it is no chirp)
    joined, heard, picture = sound(narrated / "gpt.mp4")
    assert abs(heard - picture) <= 1 / 15
    intro = sound(next((narrated / "videos").glob("*_Introduction.mp4")))[2]
    at, similarity = heard_at(joined, recording, intro + line["start"])
    assert similarity > 0.95 and abs(at - intro - line["start"]) <= 1 / 15  # in the joined video, in place


@needs_espeak
def test_subtitles_follow_the_voice_in_order_within_the_video(narrated):
    for srt in sorted((narrated / "videos").glob("*.srt")) + [narrated / "gpt.srt"]:
        cues = read_srt(srt)
        _, _, picture = sound(srt.with_suffix(".mp4"))
        assert cues and all(a < b for a, b, _ in cues)
        assert all(b <= c + 1e-3 for (_, b, _), (c, _, _) in zip(cues, cues[1:]))  # ordered, never overlapping
        assert cues[-1][1] <= picture + 2e-3  # SRT stamps are whole milliseconds
    script = json.loads((narrated / "script" / "Tokenization.json").read_text())
    line = next(line for line in script["lines"] if line["name"] == "03_show_ids")
    cues = read_srt(next((narrated / "videos").glob("*_Tokenization.srt")))
    said = [c for c in cues if line["start"] - 1e-3 <= c[0] < line["start"] + line["seconds"]]
    assert said[-1][1] >= line["start"] + line["seconds"] - 1e-3  # the sentences last as long as the voice


@needs_espeak
def test_the_script_lists_every_line_with_its_numbers_and_file_name(narrated, toy_dir, tmp_path):
    md = (narrated / "narration.md").read_text()
    assert "`Tokenization/03_show_ids.wav` · 9.0 s, recording" in md and "`Introduction/01_" in md
    assert md.index("## 1. Introduction") < md.index("## 2. Tokenization")
    texts = []
    write_wav(tmp_path / "narration" / "en" / "Tokenization" / "04_bridge.wav", 1.0)  # the bridge is step 1's
    for prompt in ("The cat sat", "The cat sat on the mat"):
        out = tmp_path / prompt.replace(" ", "_")
        r = run_cli("narration", "Tokenization", "--model", str(toy_dir), "--prompt", prompt, "--out", str(out),
                    "--narration-dir", str(tmp_path / "narration"))
        assert r.returncode == 0, r.stderr
        texts.append((out / "narration.md").read_text())
        assert not (out / "videos").exists()
        # the script is written all the same (it lists the right names), and the recording's name is questioned
        assert [line for line in r.stderr.splitlines() if "warning" in line] == [
            f"warning: {tmp_path / 'narration' / 'en' / 'Tokenization' / '04_bridge'}.* was not used: no step of "
            f"Tokenization has that number; see {out / 'narration.md'} for the names"]
    counts = [next(line for line in text.splitlines() if "These pieces are called tokens" in line) for text in texts]
    from scenes.data import scene_data

    n = [len(scene_data(Settings(prompt=p, model=str(toy_dir))).ids) for p in ("The cat sat", "The cat sat on the mat")]
    assert n[0] != n[1] and f"here, {n[0]} of them" in counts[0] and f"here, {n[1]} of them" in counts[1]


@pytest.mark.parametrize("name, make, message", [
    ("Tokenization/03_show_ids.wav", lambda p: p.write_bytes(b"not audio at all"), "cannot read recording"),
    ("Tokenization/03_show_ids.wav", lambda p: write_wav(p, 0.0), "lasts 0.0 s"),
    ("Tokenization/03_show_ids.wav", lambda p: write_wav(p, 61.0, rate=8000), "lasts 61.0 s"),
    ("Tokenization/03_show_idz.wav", lambda p: write_wav(p, 1.0), "has no step '03_show_idz'"),
    ("Tokenization/04_bridge.wav", lambda p: write_wav(p, 1.0), "has no step '04_bridge': rename it 01_bridge.wav"),
    ("Tokenisation/03_show_ids.wav", lambda p: write_wav(p, 1.0), "no scene is called 'Tokenisation'"),
    ("Tokenization/03_show_ids.ogg", lambda p: write_wav(p, 1.0), "must be .wav, .flac or .mp3"),
])
def test_bad_recordings_fail_in_one_line_before_rendering(name, make, message, toy_dir, tmp_path):
    path = tmp_path / "narration" / "en" / name
    path.parent.mkdir(parents=True)
    make(path)
    out = tmp_path / "out"
    for earlier in ("gpt.mp4", "narration.md", "videos/02_Tokenization.mp4", "script/Tokenization.json"):
        (out / earlier).parent.mkdir(parents=True, exist_ok=True)
        (out / earlier).write_text(f"an earlier {earlier}")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    r = run_cli("Tokenization", "--model", str(toy_dir), "--out", str(out),
                "--narration-dir", str(tmp_path / "narration"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and message in r.stderr, r.stderr
    assert name.split("/")[-1] in r.stderr or "Tokenisation" in r.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # nothing in out/ lost or added


def test_the_steps_are_told_once_for_the_same_settings_model_and_code(toy_dir, tmp_path, monkeypatch):
    from dataclasses import replace

    from scenes import cli

    told, render_one = [], cli.render_one
    monkeypatch.setattr(cli, "render_one", lambda scene, *args: told.append(scene) or render_one(scene, *args))
    settings = Settings(prompt="The cat sat", model=str(toy_dir))
    run = dict(cli.RUN_OPTIONS, scenes=["Tokenization", "Embedding"], jobs=1, voice_cache=str(tmp_path / "cache"),
               recordings=[write_wav(tmp_path / "en" / "Tokenization" / "01_bridge.wav", 1.0)],
               steps_key=cli.steps_key(settings, "model"))
    steps = cli.recorded_steps(settings, run)
    assert told == ["Tokenization"] and list(steps) == ["Tokenization"]  # only the scene with recordings
    assert steps["Tokenization"][:2] == ["01_bridge", "01_show_prompt"] and len(steps["Tokenization"]) >= 4
    assert cli.recorded_steps(settings, run) == steps and told == ["Tokenization"]  # the second time remembered
    assert cli.steps_key(replace(settings, output=Output(voice="espeak")), "model") == run["steps_key"]
    assert run["steps_key"] not in (cli.steps_key(settings, "retrained"), cli.steps_key(replace(settings, top_k=3),
                                                                                        "model"))


def test_a_missing_synthesiser_or_voice_is_one_line(toy_dir, tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "scenes", "Tokenization", "--model", str(toy_dir), "--out", str(out)],
                       capture_output=True, text=True, timeout=300, env=os.environ | {"PATH": "/nonexistent"})
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        "render: error: --voice espeak needs espeak-ng: run ./render.sh setup (or apt-get install espeak-ng), "
        "or render silently with --voice none"]
    r = run_cli("Tokenization", "--model", str(toy_dir), "--out", str(out), "--voice", "robot")
    assert r.returncode == 2 and "voice 'robot' is not available: choose one of espeak, none" in r.stderr
    assert not out.exists() or not (out / "videos").exists()
    cfg = tmp_path / "silent.toml"
    cfg.write_text('voice = "none"\nnarration_dir = "my_recordings"\n')
    from scenes import cli

    _, run = cli.merge_options(cli.parser().parse_args(["--config", str(cfg)]))
    assert run["voice"] == "none" and Path(run["narration_dir"]) == Path("my_recordings")
    assert audio_seconds(write_wav(tmp_path / "t.wav", 1.5)) == pytest.approx(1.5)
