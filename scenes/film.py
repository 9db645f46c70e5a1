"""The film: each scene's video and subtitles joined, in story order, into one (out/gpt.mp4, out/gpt.srt)."""
from __future__ import annotations

import os
from pathlib import Path


def join_videos(videos: list[Path], target: Path) -> Path:
    """Concatenate same-format mp4 files, in order, without re-encoding: each scene's picture and sound start
    where the previous picture ends (a sound's last packet that would run past its picture is left out, so
    the joined sound never drifts from the pictures). Written beside the target, then renamed."""
    import av

    partial = target.with_name(f".{target.name}.part")
    sources = [av.open(str(v)) for v in videos]
    try:
        with av.open(str(partial), "w", format="mp4") as dst:
            sound = all(src.streams.audio for src in sources)
            first = sources[0].streams
            out = {"video": dst.add_stream_from_template(template=first.video[0])}
            if sound:
                out["audio"] = dst.add_stream_from_template(template=first.audio[0])
            offset = 0.0
            for video, src in zip(videos, sources):
                length = video_seconds(video)
                for packet in src.demux(src.streams.video[0], *(src.streams.audio[:1] if sound else [])):
                    if packet.dts is None:
                        continue
                    kind, base = packet.stream.type, packet.time_base
                    if kind == "audio" and (packet.pts + packet.duration) * base > length + 1e-9:
                        continue
                    shift = round(offset / base)
                    packet.pts, packet.dts = packet.pts + shift, packet.dts + shift
                    packet.stream = out[kind]
                    dst.mux(packet)
                offset += length
    finally:
        for src in sources:
            src.close()
    os.replace(partial, target)
    return target


def join_subtitles(videos: list[Path], target: Path) -> Path:
    """The scenes' SRT files shifted to where each scene starts in the joined video."""
    from scenes.subtitles import join_srt

    parts, offset = [], 0.0
    for video in videos:
        parts.append((video.with_suffix(".srt"), offset))
        offset += video_seconds(video)
    return join_srt(parts, target)


def video_seconds(path: Path) -> float:
    """How long a video file's picture lasts."""
    import av

    with av.open(str(path)) as f:
        stream = f.streams.video[0]
        return float(stream.duration * stream.time_base) if stream.duration else float(f.duration / av.time_base)
