"""Check results and the run's report: terminal text, JSON and JUnit XML, and one result on its own.

Every rendering of a result goes through here: the terminal report, the JUnit file, the web console and the
pytest plugin show the same evidence and reproduction lines.

JUnit has no "warning" outcome, so a warning is written as a passed testcase whose ``<system-out>``
starts with ``WARNING:`` and carries the message, evidence and reproduction; CI stays green unless
``--strict`` is used, and the details are still in the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree

from harness._console import paint
from harness.checks.evidence import Evidence, RequestEvidence
from harness.checks.failures import CheckFailure
from harness.checks.registry import AREAS

__all__ = ["CheckResult", "Report", "Status"]


class Status(StrEnum):
    """A check's outcome. ``warning``: a tolerated deviation; ``skipped``: it could not observe what it needs."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


_MARKS: dict[Status, tuple[str, str]] = {
    Status.PASSED: ("PASS", "green"),
    Status.FAILED: ("FAIL", "red"),
    Status.WARNING: ("WARN", "yellow"),
    Status.SKIPPED: ("SKIP", "dim"),
}


@dataclass
class CheckResult:
    """The outcome of one check: its status, a message, the evidence and how to reproduce a failure.

    ``failure`` is what a failing (or warning) check raised, with the typed fields of its kind; None for a
    plain ``assert``, a skip, a pass, or a crash inside the check.
    """

    name: str
    area: str
    status: Status
    message: str = ""
    evidence: Evidence = field(default_factory=Evidence)
    reproduce: list[str] = field(default_factory=list)
    duration: float = 0.0
    doc: str = ""
    failure: CheckFailure | None = None

    def details(self) -> str:
        """The evidence and reproduction lines the terminal report prints under a failure or warning."""
        return "\n".join([*_evidence_lines(self.evidence), *_reproduce_lines(self.reproduce)])

    def render(self) -> str:
        """The result on its own (a pytest failure, a warning's report section): name, status, message, details."""
        lines = [f"{self.name}: {self.status}", self.message]
        evidence = _evidence_lines(self.evidence)
        if evidence:
            lines += ["", "evidence:", *("  " + line for line in evidence)]
        if self.reproduce:
            lines += ["", *_reproduce_lines(self.reproduce)]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "name": self.name,
            "area": self.area,
            "status": self.status,
            "message": self.message,
            "evidence": self.evidence.to_json(),
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
            counts["warnings" if result.status == Status.WARNING else result.status] += 1
        return counts

    @property
    def failed(self) -> list[CheckResult]:
        """The failed checks."""
        return [result for result in self.results if result.status == Status.FAILED]

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
            details = result.details()
            if result.status == Status.FAILED:
                element = ElementTree.SubElement(case, "failure", message=result.message, type="ContractFailure")
                element.text = details
            elif result.status == Status.SKIPPED:
                ElementTree.SubElement(case, "skipped", message=result.message)
            elif result.status == Status.WARNING:
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
                if result.status != Status.PASSED and result.message:
                    line += f": {result.message}"
                lines.append(line)
                if result.status in (Status.FAILED, Status.WARNING):
                    lines += ["        " + text for text in result.details().splitlines()]
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


def _evidence_lines(evidence: Evidence) -> list[str]:
    lines = ["request: " + _request_line(request) for request in evidence.requests]
    for key, value in evidence.facts.items():
        lines.append(f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}")
    return lines


def _reproduce_lines(commands: list[str]) -> list[str]:
    return ["reproduce:", *("  " + command for command in commands)] if commands else []


def _request_line(request: RequestEvidence) -> str:
    answer = f"-> {request.status}" if request.status is not None else f"-> {request.error}"
    line = f"{request.request} with {request.secret} {answer} in {request.latency_ms} ms"
    if request.response:
        line += f"; response: {request.response!r}"
    return line
