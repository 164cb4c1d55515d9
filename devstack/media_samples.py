"""`python -m devstack.media_samples`: writes the tiny sample media under devstack/media/ (committed;
rerun only to change them). Two short WAV tones and an HLS audio stream of three one-second
segments of MPEG-2 Layer III silence, each led by the ID3 timestamp tag HLS packed audio needs."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

MEDIA_DIR = Path(__file__).resolve().parent / "media"
SEGMENTS = 3
# MPEG-2 Layer III, 8 kbit/s, 16 kHz, mono, no CRC: 36-byte frames of 576 samples. An all-zero
# side info and body is a valid frame that decodes to silence.
_FRAME = bytes([0xFF, 0xF3, 0x18, 0xC0]) + bytes(32)
_FRAMES_PER_SEGMENT = 28
_SEGMENT_S = _FRAMES_PER_SEGMENT * 576 / 16000


def tone_wav(frequency_hz: float, seconds: float = 0.25, rate: int = 8000) -> bytes:
    samples = bytes(
        128 + round(60 * math.sin(2 * math.pi * frequency_hz * n / rate)) for n in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(rate)
        wav.writeframes(samples)
    return out.getvalue()


def _syncsafe(size: int) -> bytes:
    return bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))


def id3_timestamp(pts_90khz: int) -> bytes:
    """The ID3v2.4 PRIV frame HLS packed audio starts each segment with (RFC 8216, 3.4)."""
    data = b"com.apple.streaming.transportStreamTimestamp\x00" + struct.pack(">Q", pts_90khz)
    frame = b"PRIV" + _syncsafe(len(data)) + b"\x00\x00" + data
    return b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame


def segment(index: int) -> bytes:
    return id3_timestamp(round(index * _SEGMENT_S * 90000)) + _FRAME * _FRAMES_PER_SEGMENT


def playlist(segments: int) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", "#EXT-X-PLAYLIST-TYPE:VOD"]
    for index in range(segments):
        lines += [f"#EXTINF:{_SEGMENT_S:.3f},", f"segment{index}.mp3"]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


def write_samples(root: Path = MEDIA_DIR) -> list[Path]:
    files = {
        "free/morning-breath.wav": tone_wav(440),
        "premium/evening-wind-down.wav": tone_wav(330),
        "premium/deep-sleep/index.m3u8": playlist(SEGMENTS).encode(),
        **{f"premium/deep-sleep/segment{i}.mp3": segment(i) for i in range(SEGMENTS)},
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return [root / name for name in files]


if __name__ == "__main__":
    for path in write_samples():
        print(f"{path.relative_to(MEDIA_DIR)}: {path.stat().st_size} bytes")
