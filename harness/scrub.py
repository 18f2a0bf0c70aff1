"""Replace personal data in captured events with fake data of the same shape, so they can be committed.

What is replaced: free text (turn texts and their chunks, summaries, error messages, log messages),
phone numbers, e-mail addresses, identifiers (call, agent, webhook and deployment ids, call SIDs, request
ids), and every string that holds a digit or a space in the user-supplied parts of a call (metadata,
tool-call arguments and results, telephony parameters and headers, log metadata). What is kept: the
structure, numbers, booleans, timestamps, and the platform's vocabulary (types, roles, statuses, end
reasons, regions, tool, metric and event names).

Deterministic: a value is replaced by the same fake value wherever it appears (so a call's id is the same
in all its events, and ``call.id`` still equals ``call_id``), and the same input gives the same output.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
import string
import unicodedata
from functools import cached_property
from typing import TYPE_CHECKING, Any

from harness.errors import PayloadError
from harness.models import check_nesting

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["Scrubber", "scrub_event"]

# Keys whose string values are the platform's vocabulary or times: kept as they are.
_KEPT = frozenset(
    {
        "type", "role", "status", "end_reason", "timestamp", "start_time", "end_time", "created_at",
        "updated_at", "redacted_at", "direction", "connection_type", "telephony_account_type",
        "deployment_region", "name", "event", "level", "agent_name", "format",
    }
)  # fmt: skip
_IDS = frozenset(
    {"id", "call_id", "agent_id", "webhook_id", "deployment_id", "deployment_version_id", "call_sid", "request_id"}
)
_TEXT = frozenset({"text", "summary", "error_message", "message", "description"})
_PHONE = re.compile(r"^\+[0-9]{6,15}$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_WORD = re.compile(r"\S+")
_VOCABULARY = re.compile(r"^[a-z][a-z_]{0,39}$")  # "gold", "in_transit", "sms": a value's kind, not a person's
# Parts of a call whose content the user (or their caller) supplied: every string in them is scrubbed by
# its shape, whatever its key ("name" in a tool's arguments is a person's name, not a tool's).
_FREE = frozenset({"metadata", "arguments", "parameters", "headers"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")  # dates are not personal: kept


class Scrubber:
    """Replaces personal data with stable fake data; one instance keeps replacements consistent across events."""

    def __init__(self, *, salt: str = "cartesia-webhook-harness") -> None:
        self._salt = salt.encode()

    @cached_property
    def _fake(self) -> Faker:
        from faker import Faker

        return Faker("en_US")  # English words and names, reseeded per value replaced

    def event(self, data: dict[str, Any]) -> dict[str, Any]:
        """A scrubbed copy of one event (a parsed JSON object); PayloadError if it nests deeper than any payload."""
        check_nesting(data)  # the walk recurses: refuse what parse_event refuses, before it runs out of stack
        scrubbed = self._walk(data, None, free=False)
        assert isinstance(scrubbed, dict)
        return scrubbed

    def identifier(self, value: str) -> str:
        """The fake id ``value`` (a call id, say) becomes wherever it appears in the events scrubbed."""
        return self._identifier(value)

    # -- the walk ----------------------------------------------------------------------------------

    def _walk(self, value: Any, key: str | None, *, free: bool) -> Any:
        if isinstance(value, dict):
            out = {name: self._walk(item, name, free=free or name in _FREE) for name, item in value.items()}
            if not free and isinstance(value.get("text"), str) and isinstance(value.get("text_chunks"), list):
                out["text_chunks"] = _rechunk(value["text_chunks"], out["text"])
            return out
        if isinstance(value, list):
            return [self._walk(item, key, free=free) for item in value]
        if not isinstance(value, str) or not value:
            return value
        if free:
            return self._string(value)
        if key in _KEPT:
            return value
        if key in _IDS:
            return self._identifier(value)
        if key == "result":  # a tool's result is often JSON in a string
            return self._json_or_text(value)
        if key in _TEXT:
            return self._text(value)
        return self._string(value)

    def _json_or_text(self, value: str) -> str:
        try:
            parsed = json.loads(value)
            check_nesting(parsed)  # JSON in a string nests on top of the event's own levels
        except (ValueError, RecursionError, PayloadError):
            return self._text(value)
        if isinstance(parsed, dict | list):
            return json.dumps(self._walk(parsed, None, free=True), ensure_ascii=False)
        return self._string(value)

    def _string(self, value: str) -> str:
        if _PHONE.match(value):
            return self._phone(value)
        if _EMAIL.fullmatch(value):
            return self._email(value)
        if _DATE.match(value):
            return value
        if " " in value.strip():
            return self._text(value)
        if _VOCABULARY.match(value):
            return value
        return self._shape(value)

    # -- replacements ------------------------------------------------------------------------------

    def _rng(self, kind: str, value: str) -> random.Random:
        digest = hashlib.blake2b(f"{kind}\0{value}".encode(), key=self._salt[:64], digest_size=16).digest()
        return random.Random(digest)

    def _text(self, value: str) -> str:
        """Words of filler text, as many as the original had, with its first capital and last punctuation."""
        if not value.strip():
            return value
        value = _EMAIL.sub(lambda match: self._email(match.group()), value)
        count = len(_WORD.findall(value))
        self._fake.seed_instance(self._rng("text", value).getrandbits(64))
        text = " ".join(self._fake.words(nb=count))
        if value.lstrip()[:1].isupper():
            text = text[:1].upper() + text[1:]
        ending = value.rstrip()[-1:]
        if ending in ".?!,;:":
            text += ending
        return (" " if value.startswith(" ") else "") + text

    def _phone(self, value: str) -> str:
        """Same country code prefix (first two digits) and length, other digits replaced."""
        rng = self._rng("phone", value)
        keep = value[:3]
        return keep + "".join(str(rng.randrange(10)) for _ in value[3:])

    def _email(self, value: str) -> str:
        self._fake.seed_instance(self._rng("email", value).getrandbits(64))
        return f"{self._fake.user_name()}@example.com"

    def _identifier(self, value: str) -> str:
        """Same prefix (``ac_``, ``agent_webhook_``, ``CA``...) and length; the rest replaced by the same alphabet."""
        prefix = re.match(r"^(?:[a-z]+_)+|^CA|^MZ", value)
        head = prefix.group() if prefix else ""
        return head + self._shape(value[len(head) :], kind="id")

    def _shape(self, value: str, *, kind: str = "shape") -> str:
        """Each digit a digit, each letter a letter of the same case (or, in a script without case such as
        Japanese, another letter of that script); punctuation kept."""
        rng = self._rng(kind, value)
        out = []
        for char in value:
            if char.isdigit():
                out.append(str(rng.randrange(10)))
            elif char.islower():
                out.append(rng.choice(string.ascii_lowercase))
            elif char.isupper():
                out.append(rng.choice(string.ascii_uppercase))
            elif char.isalpha():  # letters without case (kanji, kana, hangul, Arabic...): another of its script
                out.append(rng.choice(_same_script(char)))
            else:
                out.append(char)
        return "".join(out)


@functools.cache
def _same_script(char: str) -> str:
    """Letters of ``char``'s own 128-code-point block and Unicode category: stand-ins of the same script."""
    category = unicodedata.category(char)
    base = ord(char) & ~0x7F
    found = "".join(chr(code) for code in range(base, base + 128) if unicodedata.category(chr(code)) == category)
    return found.replace(char, "") or found


def _rechunk(chunks: list[Any], text: str) -> list[Any]:
    """The chunks of a replaced text: the same number, at word boundaries, each keeping its own timing."""
    if not all(isinstance(chunk, dict) for chunk in chunks) or not chunks:
        return chunks
    words = text.split(" ")
    per = max(1, -(-len(words) // len(chunks)))
    pieces = [" ".join(words[i : i + per]) for i in range(0, len(words), per)]
    pieces += [""] * (len(chunks) - len(pieces))
    out = []
    for index, (chunk, piece) in enumerate(zip(chunks, pieces, strict=False)):
        out.append({**chunk, "text": piece if index == 0 else " " + piece if piece else ""})
    return out


def scrub_event(data: dict[str, Any], *, salt: str = "cartesia-webhook-harness") -> dict[str, Any]:
    """One event scrubbed (see :class:`Scrubber`; use one Scrubber for many events, it is the same)."""
    return Scrubber(salt=salt).event(data)
