"""Identifier, phone number and call SID shapes as the platform uses them, drawn from a seeded ``Random``."""

from __future__ import annotations

import random
import string

_BASE62 = string.digits + string.ascii_letters
# Random bytes -> base62 characters in one C call (a byte modulo 62, so the first 8 characters are a little more
# frequent, 5/256 against 4/256: IDs only need to look random and never collide in practice).
_BYTE_TO_BASE62 = bytes.maketrans(bytes(range(256)), bytes(ord(_BASE62[byte % 62]) for byte in range(256)))

# Country calling code and a national-number pattern ("#" = any digit) per faker locale. Mobile-style
# ranges keep the numbers plausible; E.164 allows at most 15 digits after the "+".
_PHONE_PLANS: dict[str, tuple[str, str]] = {
    "en_US": ("1", "2##555####"),
    "en_GB": ("44", "7700900###"),
    "fr_FR": ("33", "6########"),
    "de_DE": ("49", "151########"),
    "es_ES": ("34", "6########"),
    "ja_JP": ("81", "90########"),
}


def base62(rng: random.Random, length: int) -> str:
    """``length`` random letters and digits, the alphabet of the platform's IDs."""
    return rng.randbytes(length).translate(_BYTE_TO_BASE62).decode("ascii")


def call_id(rng: random.Random) -> str:
    """A call ID: ``ac_`` and 22 base62 characters."""
    return "ac_" + base62(rng, 22)


def agent_id(rng: random.Random) -> str:
    """An agent ID: ``agent_`` and 22 base62 characters."""
    return "agent_" + base62(rng, 22)


def webhook_id(rng: random.Random) -> str:
    """A webhook ID: ``agent_webhook_`` and 22 base62 characters."""
    return "agent_webhook_" + base62(rng, 22)


def deployment_id(rng: random.Random) -> str:
    """A deployment ID: ``ad_`` and 16 base62 characters."""
    return "ad_" + base62(rng, 16)


def deployment_version_id(rng: random.Random) -> str:
    """A deployment version ID: ``adv_`` and 12 base62 characters."""
    return "adv_" + base62(rng, 12)


def call_sid(rng: random.Random) -> str:
    """A Twilio-style call SID: ``CA`` and 32 lowercase hex digits."""
    return "CA" + rng.randbytes(16).hex()


def tool_call_id(rng: random.Random) -> str:
    """A tool call ID as LLM providers issue them: ``call_`` and 8 base62 characters."""
    return "call_" + base62(rng, 8)


def phone_number(rng: random.Random, locale: str) -> str:
    """An E.164 number (``+`` country code national number) for ``locale``'s country."""
    country, pattern = _PHONE_PLANS.get(locale, _PHONE_PLANS["en_US"])
    national = "".join(str(rng.randrange(10)) if char == "#" else char for char in pattern)
    return f"+{country}{national}"
