"""Subtitle cues: timing from captions, SRT round trip, joining with offsets."""
from __future__ import annotations

from scenes.subtitles import cues_from_captions, join_srt, read_srt, to_srt


def test_each_caption_lasts_until_the_next():
    cues = cues_from_captions([(0.5, "one"), (3.0, "two"), (7.25, "three")], end=10.0)
    assert cues == [(0.5, 3.0, "one"), (3.0, 7.25, "two"), (7.25, 10.0, "three")]


def test_srt_format_and_round_trip(tmp_path):
    text = to_srt([(0.0, 1.5, "Hello"), (61.25, 3725.004, "トークン")])
    assert text.startswith("1\n00:00:00,000 --> 00:00:01,500\nHello\n\n2\n00:01:01,250 --> 01:02:05,004\nトークン\n")
    path = tmp_path / "a.srt"
    path.write_text(text, encoding="utf-8")
    assert read_srt(path) == [(0.0, 1.5, "Hello"), (61.25, 3725.004, "トークン")]


def test_join_shifts_each_part(tmp_path):
    a, b = tmp_path / "a.srt", tmp_path / "b.srt"
    a.write_text(to_srt([(0.0, 2.0, "first")]))
    b.write_text(to_srt([(1.0, 2.0, "second")]))
    joined = read_srt(join_srt([(a, 0.0), (tmp_path / "missing.srt", 5.0), (b, 10.0)], tmp_path / "all.srt"))
    assert joined == [(0.0, 2.0, "first"), (11.0, 12.0, "second")]


def test_narration_cues_follow_reading_speed_and_end_with_their_step():
    from scenes.subtitles import narration_cues

    line = "The model reads tokens. Each token has an id."  # 23 + 21 characters: 1.35 s + 1.24 s
    cues = narration_cues([(0.0, line), (10.0, "Next step.")], end=12.0, lang="en", step_ends=[4.0, 12.0])
    assert [text for _, _, text in cues] == ["The model reads tokens.", "Each token has an id.", "Next step."]
    assert cues[0][:2] == (0.0, cues[1][0]) and abs(cues[1][0] - 23 / 17) < 1e-9
    assert cues[1][1] == 4.0  # the step's end, not the next step's line at 10 s
    assert cues[2][:2] == (10.0, 12.0)


def test_narration_cues_stretch_over_a_longer_voice_only():
    from scenes.subtitles import narration_cues

    line = "The model reads tokens. Each token has an id."  # read in 23/17 + 21/17 s
    slow = narration_cues([(0.0, line)], end=9.0, lang="en", step_ends=[9.0], voiced=[8.8])
    assert abs(slow[1][0] - 8.8 * 23 / 44) < 1e-9 and slow[1][1] == 9.0  # each sentence its share of the voice
    fast = narration_cues([(0.0, line)], end=9.0, lang="en", step_ends=[9.0], voiced=[0.5])
    assert abs(fast[1][0] - 23 / 17) < 1e-9  # a voice quicker than reading: the reading speed still holds
