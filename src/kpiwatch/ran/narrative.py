"""The narrative of an N-1 vs N table: written from the table, by rules or by an LLM.

The deterministic analyzer turns the table into sentences; every number it prints is a
number of the table, rounded for reading (values to 2 decimals, p-values to 3 significant
digits). When ``KPIWATCH_LLM_URL`` is set, an OpenAI-compatible chat endpoint is asked for
the summary from the same table (``POST {url}/chat/completions``, or the URL as given when
it already ends in ``/chat/completions``). Any failure — no connection, a timeout, a status
other than 200, an answer that is not the chat-completions JSON — falls back to the
deterministic summary and the reason is kept in the result's metadata.

``findings`` (one line per KPI on the network) and ``issues`` (degraded cells) are always
the deterministic lines: they are facts of the table; only ``summary`` is the analyzer's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from yarl import URL

from kpiwatch.core.config import Settings

log = logging.getLogger(__name__)

DETERMINISTIC = "deterministic"
MAX_PROMPT_ROWS = 60  # cell rows sent to the LLM: the degraded ones first
SYSTEM_PROMPT = (
    "You are a radio access network performance engineer. You receive the JSON table of an "
    "N-1 vs N comparison of RAN KPIs: per KPI, the network row (cell null) and cell rows "
    "with the value in each period, the change, the statistical test, its p-value and a "
    "verdict (improved, degraded, stable, inconclusive). Write a short narrative (at most "
    "200 words) for the operations team: what changed on the network, which cells and KPIs "
    "degraded most, and what could not be concluded. Use only numbers that appear in the "
    "table; do not compute or invent any other number."
)


class LlmError(Exception):
    """The LLM did not give a usable answer; the message says why (never the key)."""


@dataclass(frozen=True)
class Narrative:
    analyzer: str  # "deterministic" | "llm:<model>"
    summary: str
    findings: list[str]
    issues: list[str]
    llm_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "summary": self.summary,
            "findings": self.findings,
            "issues": self.issues,
        }


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "no data"
    text = f"{value:.2f}"
    return f"{text} {unit}".rstrip() if unit else text


def _signed(value: float | None, unit: str) -> str:
    if value is None:
        return "no change computable"
    return f"{value:+.2f} {unit}".rstrip()


def _change(row: Mapping[str, Any]) -> str:
    if row["threshold_unit"] == "pp":
        return _signed(row["change"], "pp")
    if row["change_pct"] is None:
        return _signed(row["change"], row["unit"])
    return _signed(row["change_pct"], "%")


def _line(row: Mapping[str, Any], names: Mapping[str, str]) -> str:
    where = "network" if row["cell"] is None else f"{row['ne']}/{row['cell']}"
    head = (
        f"{names.get(row['kpi'], row['kpi'])} ({where}): "
        f"{_number(row['value_n_minus_1'], row['unit'])} in N-1, "
        f"{_number(row['value_n'], row['unit'])} in N"
    )
    if row["verdict"] == "inconclusive":
        return f"{head}: inconclusive ({row['reason']})."
    return f"{head} ({_change(row)}, {row['test']}, p = {row['p_adjusted']:.3g}): {row['verdict']}."


def deterministic(table: Mapping[str, Any], labels: Mapping[str, str]) -> Narrative:
    """Sentences from the table alone; ``labels`` names the two periods."""
    names = {k["name"]: k["display_name"] for k in table["kpis"]}
    rows: Sequence[Mapping[str, Any]] = table["rows"]
    summary = table["summary"]
    counts = summary["verdicts"]
    cells = {(r["ne"], r["cell"]) for r in rows if r["cell"] is not None}
    overview = (
        f"N-1 ({labels['n_minus_1']}) compared with N ({labels['n']}): "
        f"{len(names)} KPIs on {len(cells)} cells; cell verdicts: "
        + ", ".join(f"{counts[v]} {v}" for v in ("improved", "degraded", "stable", "inconclusive"))
        + "."
    )
    network = [_line(r, names) for r in rows if r["cell"] is None]
    degraded = sorted(
        (r for r in rows if r["cell"] is not None and r["verdict"] == "degraded"),
        key=lambda r: (r["size"] or 0.0, r["kpi"], r["ne"], r["cell"]),
    )
    if summary["worst_cells"]:
        worst = "; ".join(
            f"{c['ne']}/{c['cell']} ({len(c['degraded_kpis'])} degraded: "
            f"{', '.join(names.get(k, k) for k in c['degraded_kpis'])})"
            for c in summary["worst_cells"][:5]
        )
        closing = f"Worst cells: {worst}."
    else:
        closing = "No cell degraded significantly beyond its threshold."
    return Narrative(
        analyzer=DETERMINISTIC,
        summary=" ".join([overview, *network, closing]),
        findings=network,
        issues=[_line(r, names) for r in degraded],
    )


def chat_url(base: str) -> str:
    """Where to POST: the URL as given when it names the endpoint, else ``/chat/completions``."""
    trimmed = base.rstrip("/")
    return trimmed if trimmed.endswith("/chat/completions") else f"{trimmed}/chat/completions"


def _prompt_table(table: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """The table, bounded: every network row and the most telling cell rows."""
    rows: Sequence[Mapping[str, Any]] = table["rows"]
    rank = {"degraded": 0, "improved": 1, "inconclusive": 2, "stable": 3}
    cell_rows = sorted(
        (r for r in rows if r["cell"] is not None),
        key=lambda r: (rank[r["verdict"]], r["size"] if r["size"] is not None else 0.0),
    )
    return {
        "periods": dict(labels),
        "kpis": table["kpis"],
        "thresholds": table["thresholds"],
        "network_rows": [r for r in rows if r["cell"] is None],
        "cell_rows": cell_rows[:MAX_PROMPT_ROWS],
        "cell_rows_left_out": max(0, len(cell_rows) - MAX_PROMPT_ROWS),
        "summary": table["summary"],
    }


def _answer_text(body: bytes) -> str:
    try:
        answer = orjson.loads(body)
        content = answer["choices"][0]["message"]["content"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise LlmError("the answer is not chat-completions JSON") from exc
    if not isinstance(content, str) or not content.strip():
        raise LlmError("the answer has no text")
    return content.strip()


async def ask_llm(settings: Settings, table: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """The LLM's summary of the table, or ``LlmError``."""
    assert settings.llm_url is not None
    url = chat_url(settings.llm_url)
    headers = {"Content-Type": "application/json"}
    if settings.llm_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
    payload = {
        "model": settings.llm_model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": orjson.dumps(_prompt_table(table, labels)).decode()},
        ],
    }
    timeout = aiohttp.ClientTimeout(total=settings.llm_timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=orjson.dumps(payload), headers=headers) as response,
        ):
            body = await response.read()
            if response.status != 200:
                raise LlmError(f"HTTP {response.status}")
    except TimeoutError as exc:
        raise LlmError(f"no answer within {settings.llm_timeout_s:g} s") from exc
    except aiohttp.ClientError as exc:
        raise LlmError(f"request failed: {type(exc).__name__}") from exc
    return _answer_text(body)


async def write(
    settings: Settings, table: Mapping[str, Any], labels: Mapping[str, str], use_llm: bool
) -> Narrative:
    """The LLM's narrative when one is configured and answers, else the deterministic one."""
    fallback = deterministic(table, labels)
    if not use_llm or settings.llm_url is None:
        return fallback
    try:
        summary = await ask_llm(settings, table, labels)
    except LlmError as exc:
        host = URL(settings.llm_url).with_user(None).with_query(None)
        log.warning(
            "LLM narrative failed; the deterministic analyzer wrote it",
            extra={"fields": {"llm": str(host), "reason": str(exc)}},
        )
        return Narrative(
            fallback.analyzer, fallback.summary, fallback.findings, fallback.issues, str(exc)
        )
    return Narrative(f"llm:{settings.llm_model}", summary, fallback.findings, fallback.issues, None)
