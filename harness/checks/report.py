"""Check results and the run's report: terminal text, JSON and JUnit XML.

JUnit has no "warning" outcome, so a warning is written as a passed testcase whose ``<system-out>``
starts with ``WARNING:`` and carries the message, evidence and reproduction; CI stays green unless
``--strict`` is used, and the details are still in the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.etree import ElementTree

from harness._console import paint
from harness.checks.registry import AREAS

__all__ = ["CheckResult", "Report", "Status"]

Status = Literal["passed", "failed", "warning", "skipped"]
_MARKS: dict[str, tuple[str, str]] = {
    "passed": ("PASS", "green"),
    "failed": ("FAIL", "red"),
    "warning": ("WARN", "yellow"),
    "skipped": ("SKIP", "dim"),
}


@dataclass
class CheckResult:
    """The outcome of one check: its status, a message, the evidence and how to reproduce a failure."""

    name: str
    area: str
    status: Status
    message: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    reproduce: list[str] = field(default_factory=list)
    duration: float = 0.0
    doc: str = ""

    def details(self) -> str:
        """The evidence and reproduction lines the terminal report prints under a failure or warning."""
        return _details(self)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "name": self.name,
            "area": self.area,
            "status": self.status,
            "message": self.message,
            "evidence": self.evidence,
            "reproduce": self.reproduce,
            "duration": round(self.duration, 4),
        }


@dataclass
class Report:
    """Every check's result for one target, and how the run went."""

    results: list[CheckResult]
    target: str
    probe: str | None = None
    seed: int = 0
    duration: float = 0.0
    requests: int = 0
    db: str | None = None

    @property
    def summary(self) -> dict[str, int]:
        """How many checks passed, failed, warned and were skipped."""
        counts = {"passed": 0, "failed": 0, "warnings": 0, "skipped": 0}
        for result in self.results:
            counts["warnings" if result.status == "warning" else result.status] += 1
        return counts

    @property
    def failed(self) -> list[CheckResult]:
        """The failed checks."""
        return [result for result in self.results if result.status == "failed"]

    def result(self, name: str) -> CheckResult:
        """The result of the check called ``name``; KeyError if it did not run."""
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    def exit_code(self, strict: bool = False) -> int:
        """0 when nothing failed (and, with ``strict``, nothing warned); 1 otherwise."""
        summary = self.summary
        return 1 if summary["failed"] or (strict and summary["warnings"]) else 0

    def to_json(self) -> dict[str, Any]:
        """``{"summary": {...}, "checks": [{"name", "status", "message", "evidence", "reproduce"}, ...]}`` and more."""
        return {
            "target": self.target,
            "probe": self.probe,
            "seed": self.seed,
            "duration": round(self.duration, 3),
            "requests": self.requests,
            "summary": self.summary,
            "checks": [result.to_json() for result in self.results],
        }

    def to_junit_xml(self) -> str:
        """A JUnit XML document: one testcase per check; warnings pass with a ``WARNING:`` system-out."""
        summary = self.summary
        suite = ElementTree.Element(
            "testsuite",
            name="cartesia-contract",
            tests=str(len(self.results)),
            failures=str(summary["failed"]),
            errors="0",
            skipped=str(summary["skipped"]),
            time=f"{self.duration:.3f}",
        )
        properties = ElementTree.SubElement(suite, "properties")
        ElementTree.SubElement(properties, "property", name="target", value=self.target)
        ElementTree.SubElement(properties, "property", name="seed", value=str(self.seed))
        for result in self.results:
            case = ElementTree.SubElement(
                suite, "testcase", classname=f"cartesia.{result.area}", name=result.name, time=f"{result.duration:.3f}"
            )
            details = _details(result)
            if result.status == "failed":
                element = ElementTree.SubElement(case, "failure", message=result.message, type="ContractFailure")
                element.text = details
            elif result.status == "skipped":
                ElementTree.SubElement(case, "skipped", message=result.message)
            elif result.status == "warning":
                ElementTree.SubElement(case, "system-out").text = f"WARNING: {result.message}\n{details}"
        ElementTree.indent(suite)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(suite, encoding="unicode") + "\n"

    def render_terminal(self, color: bool = False) -> str:
        """The report for a terminal: grouped by area, details under each failure and warning, a summary line."""
        lines = [paint(f"Contract check of {self.target}", "bold", enabled=color)]
        if self.probe:
            lines.append(f"state probe: {self.probe}")
        else:
            lines.append(
                "state probe: none (side-effect, idempotency and ordering checks are skipped; add --probe URL)"
            )
        for area in AREAS:
            group = [result for result in self.results if result.area == area]
            if not group:
                continue
            lines += ["", paint(area, "bold", enabled=color)]
            for result in group:
                mark, colour = _MARKS[result.status]
                line = f"  {paint(mark, colour, enabled=color)}  {result.name}"
                if result.status != "passed" and result.message:
                    line += f": {result.message}"
                lines.append(line)
                if result.status in ("failed", "warning"):
                    lines += ["        " + text for text in _details(result).splitlines()]
        summary = self.summary
        parts = [
            paint(f"{summary['passed']} passed", "green", enabled=color and summary["passed"] > 0),
            paint(f"{summary['failed']} failed", "red", enabled=color and summary["failed"] > 0),
            paint(f"{summary['warnings']} warnings", "yellow", enabled=color and summary["warnings"] > 0),
            f"{summary['skipped']} skipped",
        ]
        lines += [
            "",
            f"{len(self.results)} checks: " + ", ".join(parts) + f" in {self.duration:.2f}s ({self.requests} requests)",
        ]
        return "\n".join(lines) + "\n"


def _details(result: CheckResult) -> str:
    lines: list[str] = []
    for key, value in result.evidence.items():
        if key == "requests":
            for request in value:
                lines.append("request: " + _request_line(request))
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}")
    if result.reproduce:
        lines.append("reproduce:")
        lines += ["  " + command for command in result.reproduce]
    return "\n".join(lines)


def _request_line(request: dict[str, Any]) -> str:
    status = request.get("status")
    answer = f"-> {status}" if status is not None else f"-> {request.get('error')}"
    line = f"{request.get('request')} with {request.get('secret')} {answer} in {request.get('latency_ms')} ms"
    if request.get("response"):
        line += f"; response: {request['response']!r}"
    return line
