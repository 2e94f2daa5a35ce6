"""Posted forms -> the values sync_server.fleet checks (billing_core.terminal_params).

The survey is edited as text, one question a line: ``key|题目|选项1/选项2/...``; the rest are
plain fields named like the parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_core import terminal_params as tp
from sync_server.fleet.errors import SurveyFormatError

PARAM_FIELDS = tuple(k for k in tp.PARAM_LABELS if k != "survey")


def survey_text(questions: list[dict[str, Any]] | None) -> str:
    """The survey as the form's text."""
    return "\n".join(f"{q['key']}|{q['text']}|{'/'.join(q['options'])}" for q in questions or [])


def parse_survey(text: str) -> list[dict[str, Any]]:
    """The form's survey text as questions ([] when empty)."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(text.replace("\r", "").split("\n"), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            raise SurveyFormatError(f"满意度问题第{n}行须为“标识|题目|选项1/选项2”格式")
        out.append({"key": parts[0], "text": parts[1], "options": [o.strip() for o in parts[2].split("/") if o.strip()]})
    return out


def params_of(form: Mapping[str, str]) -> dict[str, Any]:
    """The parameter form as a raw parameter mapping (empty fields: the terminal keeps its own)."""
    raw: dict[str, Any] = {k: form.get(k, "").strip() for k in PARAM_FIELDS}
    raw["survey"] = parse_survey(form.get("survey", ""))
    return raw


def upgrade_of(form: Mapping[str, str]) -> dict[str, str]:
    """The upgrade form's three fields."""
    return {k: form.get(k, "").strip() for k in ("version", "url", "sha256")}
