"""How a check's request presents the secret: the right one, none, an empty one, a near miss, in the query.

Each variant knows how to build the header value from the real secret and how to write the same request
as a shell word that reads the secret from ``$CARTESIA_WEBHOOK_SECRET``, so a reproduction never
prints the secret.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from harness._environment import SECRET_ENV
from harness.delivery.endpoint import webhook_headers
from harness.models import WEBHOOK_SECRET_HEADER

__all__ = ["CORRECT", "NO_HEADER", "SECRET_ENV", "Auth"]

Transform = Literal["same", "empty", "literal", "drop_last", "append", "swapcase"]


@dataclass(frozen=True)
class Auth:
    """One way of presenting the secret. ``header_name=None`` sends no secret header at all."""

    label: str
    header_name: str | None = WEBHOOK_SECRET_HEADER
    transform: Transform = "same"
    literal: str = ""
    query_names: tuple[str, ...] = ()

    def value(self, secret: str) -> str:
        """The header value this variant sends for ``secret``."""
        if self.transform == "same":
            return secret
        if self.transform == "empty":
            return ""
        if self.transform == "literal":
            return self.literal
        if self.transform == "drop_last":
            return secret[:-1]
        if self.transform == "append":
            return secret + self.literal
        return secret.swapcase()

    def headers(self, secret: str) -> dict[str, str]:
        """The request headers: the JSON content type and, unless left out, the secret header."""
        if self.header_name is None:
            return webhook_headers(None)
        return webhook_headers(self.value(secret), header_name=self.header_name)

    def url(self, base: str, secret: str) -> str:
        """``base`` with the secret added as each query parameter this variant names."""
        if not self.query_names:
            return base
        joiner = "&" if "?" in base else "?"
        return base + joiner + "&".join(f"{name}={quote(secret, safe='')}" for name in self.query_names)

    def shell_header(self) -> str | None:
        """This variant's ``-H`` argument as a shell word (the secret comes from the environment)."""
        name = self.header_name
        if name is None:
            return None
        if self.transform == "empty":
            return shlex.quote(f"{name};")  # curl's syntax for a header with an empty value
        if self.transform == "literal":
            return shlex.quote(f"{name}: {self.literal}")
        variable = {
            "same": f"${SECRET_ENV}",
            "drop_last": f"${{{SECRET_ENV}%?}}",
            "append": f"${{{SECRET_ENV}}}{self.literal}",
            "swapcase": f"$(printf %s \"${SECRET_ENV}\" | tr '[:lower:][:upper:]' '[:upper:][:lower:]')",
        }[self.transform]
        return f'"{name}: {variable}"'

    def shell_url(self, base: str) -> list[str]:
        """The URL as shell words; query variants add ``--url-query`` (curl 7.87+), which URL-encodes the secret."""
        words = [shlex.quote(base)]
        for name in self.query_names:
            words += ["--url-query", f'"{name}=${SECRET_ENV}"']
        return words


CORRECT = Auth("the correct secret")
NO_HEADER = Auth("no X-Webhook-Secret header", header_name=None)
