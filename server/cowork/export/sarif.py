"""Review findings as SARIF 2.1.0, the format code-scanning services read.

`cowork run review --format sarif` in CI: each finding is a result at its file
and lines, with its suggested replacement as a fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cowork import __version__
from cowork.kinds.findings import Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}
RULE = "cowork/review"


def to_sarif(findings: list[Finding], root: Path, artifact: Path | None) -> dict[str, Any]:
    """One run of the `cowork` tool whose results are `findings` (paths relative to
    `root`, given as the %SRCROOT% base)."""
    results = []
    for f in findings:
        region: dict[str, Any] = {"startLine": f.line}
        if f.end_line:
            region["endLine"] = f.end_line
        location = {
            "physicalLocation": {
                "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                "region": region,
            }
        }
        result: dict[str, Any] = {
            "ruleId": RULE,
            "properties": {"category": f.category},
            "level": _LEVEL[f.severity],
            "message": {"text": f.message + (f"\n\n{f.detail}" if f.detail else "")},
            "locations": [location],
        }
        if f.suggestion is not None:
            replaced = {"startLine": f.line, "endLine": f.end_line or f.line}
            # "" removes the lines; other text replaces them, whole lines
            text = (
                f.suggestion
                if f.suggestion.endswith("\n") or not f.suggestion
                else f.suggestion + "\n"
            )
            result["fixes"] = [
                {
                    "description": {"text": "cowork's suggested replacement"},
                    "artifactChanges": [
                        {
                            "artifactLocation": location["physicalLocation"]["artifactLocation"],
                            "replacements": [
                                {"deletedRegion": replaced, "insertedContent": {"text": text}}
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "cowork",
                "version": __version__,
                "rules": [
                    {
                        "id": RULE,
                        "shortDescription": {"text": "A first-pass review finding"},
                        "help": {"text": "A draft by cowork for a person to review."},
                    }
                ],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
        "results": results,
    }
    if artifact is not None:
        run["properties"] = {"review": artifact.as_uri()}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def to_json(findings: list[Finding], task_id: str, artifact: Path | None) -> dict[str, Any]:
    """The findings as cowork's own JSON: what the diagnostics are made from."""
    return {
        "taskId": task_id,
        "review": str(artifact) if artifact else None,
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "endLine": f.end_line,
                "severity": f.severity,
                "category": f.category,
                "message": f.message,
                "detail": f.detail,
                "suggestion": f.suggestion,
            }
            for f in findings
        ],
    }
