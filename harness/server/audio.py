"""Call recordings: a valid WAV of the call's duration, produced in chunks and never held whole in memory."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator

__all__ = ["SAMPLE_RATE", "wav_chunks", "wav_header", "wav_size"]

SAMPLE_RATE = 16_000
_BYTES_PER_SAMPLE = 2  # 16-bit signed little-endian mono PCM
_TONE_HZ = 400  # divides the sample rate, so one period is a whole number of samples
_CHUNK_SAMPLES = SAMPLE_RATE // 4


def sample_count(duration: float) -> int:
    """Samples in a recording of ``duration`` seconds."""
    return max(0, round(duration * SAMPLE_RATE))


def wav_size(duration: float) -> int:
    """Total bytes of the WAV file for ``duration`` seconds (header included)."""
    return 44 + sample_count(duration) * _BYTES_PER_SAMPLE


def wav_header(samples: int) -> bytes:
    """The 44-byte RIFF/WAVE header for ``samples`` 16-bit mono samples at SAMPLE_RATE."""
    data_size = samples * _BYTES_PER_SAMPLE
    return b"".join(
        [
            b"RIFF",
            struct.pack("<I", 36 + data_size),
            b"WAVEfmt ",
            struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, SAMPLE_RATE * _BYTES_PER_SAMPLE, _BYTES_PER_SAMPLE, 16),
            b"data",
            struct.pack("<I", data_size),
        ]
    )


def _tone_chunk() -> bytes:
    # A quiet tone rather than silence, so players and checks can tell the stream has content.
    amplitude = 2000
    values = [round(amplitude * math.sin(2 * math.pi * _TONE_HZ * i / SAMPLE_RATE)) for i in range(_CHUNK_SAMPLES)]
    return struct.pack(f"<{_CHUNK_SAMPLES}h", *values)


_CHUNK = _tone_chunk()


def wav_chunks(duration: float) -> Iterator[bytes]:
    """The WAV file of ``duration`` seconds as a header and PCM chunks of a quarter second each."""
    remaining = sample_count(duration)
    yield wav_header(remaining)
    while remaining > 0:
        take = min(remaining, _CHUNK_SAMPLES)
        yield _CHUNK if take == _CHUNK_SAMPLES else _CHUNK[: take * _BYTES_PER_SAMPLE]
        remaining -= take
