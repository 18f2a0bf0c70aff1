"""Call recordings: a valid WAV of exactly the call's duration, produced in bounded chunks."""

from __future__ import annotations

import io
import wave

import pytest

from harness.server.audio import SAMPLE_RATE, wav_chunks, wav_size


@pytest.mark.parametrize("duration", [0.0, 0.1, 1.0, 12.345, 61.5])
def test_the_wav_is_valid_and_as_long_as_the_call(duration: float) -> None:
    data = b"".join(wav_chunks(duration))
    assert len(data) == wav_size(duration)
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        assert wav.getframerate() == SAMPLE_RATE
        assert wav.getnframes() / wav.getframerate() == pytest.approx(duration, abs=1 / SAMPLE_RATE)
        assert len(wav.readframes(wav.getnframes())) == wav.getnframes() * 2


def test_chunks_stay_small_however_long_the_call() -> None:
    sizes = [len(chunk) for chunk in wav_chunks(3600.0)]
    assert max(sizes) <= SAMPLE_RATE  # a quarter second of 16-bit samples: 8,000 bytes
    assert sum(sizes) == wav_size(3600.0)


def test_the_audio_is_not_silence() -> None:
    chunks = wav_chunks(1.0)
    next(chunks)  # header
    assert any(byte != 0 for byte in next(chunks))
