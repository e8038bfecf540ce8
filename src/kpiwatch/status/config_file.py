"""Reading a ``kpiwatch.yaml`` (services, their monitors, maintenance windows) into a plan.

The file::

    services:
      - id: mail                      # the service's slug, as /api/services takes it
        name: Mail
        group: Office
        monitors:                     # named per service; the fields of /api/monitors
          - name: web
            type: http
            url: https://mail.example.com/health
            conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 500"]
    maintenance:                      # named by title; the fields of /api/maintenance
      - title: Mail server upgrade
        service_ids: [mail]
        starts_at: 2026-03-07T01:00:00+09:00
        ends_at: 2026-03-07T03:00:00+09:00

``${NAME}`` is replaced by the variable ``NAME`` (the environment, for ``kpiwatch apply``)
before the YAML is read. Every problem is reported at once, each at its YAML path
(``services[2].monitors[0].interval_s``), as an ``InvalidInput`` whose ``loc`` is that path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kpiwatch.core.errors import InvalidInput
from kpiwatch.status.maintenance import MaintenanceIn
from kpiwatch.status.services import ServiceIn
from kpiwatch.watch import monitors
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.monitors import MonitorIn

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
TOP_LEVEL = ("services", "maintenance")
M = TypeVar("M", bound=BaseModel)


@dataclass
class Plan:
    """The desired state, each item with its YAML path."""

    services: list[tuple[str, ServiceIn]] = field(default_factory=list)
    monitors: list[tuple[str, MonitorIn]] = field(default_factory=list)
    windows: list[tuple[str, MaintenanceIn]] = field(default_factory=list)


def path_of(prefix: str, loc: tuple[str | int, ...] | list[str | int]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, path: str, msg: str) -> None:
        self.items.append({"loc": [path or "(file)"], "msg": msg, "type": "value_error"})

    def model(self, kind: type[M], path: str, raw: Any) -> M | None:
        if not isinstance(raw, dict):
            self.add(path, "must be a mapping")
            return None
        try:
            return kind.model_validate(raw)
        except ValidationError as exc:
            for error in exc.errors():
                self.add(path_of(path, error["loc"]), error["msg"])
            return None


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """Replace ``${NAME}``; an unknown name is an error at its line."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            line = text.count("\n", 0, match.start()) + 1
            raise InvalidInput([_file_error(f"line {line}: variable ${{{name}}} is not set")])
        return variables[name]

    return _VARIABLE.sub(replace, text)


def _file_error(msg: str) -> dict[str, Any]:
    return {"loc": ["(file)"], "msg": msg, "type": "value_error"}


def load(text: str, variables: Mapping[str, str] | None = None) -> Any:
    try:
        return yaml.safe_load(substitute(text, variables or {}))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput([_file_error(f"{where}{problem}")]) from None


def _services(plan: Plan, errors: _Errors, raw: Any, settings: WatchSettings) -> None:
    if not isinstance(raw, list):
        errors.add("services", "must be a list")
        return
    seen: set[str] = set()
    for i, item in enumerate(raw):
        path = f"services[{i}]"
        item = dict(item) if isinstance(item, dict) else item
        monitor_items = (item.pop("monitors", None) or []) if isinstance(item, dict) else []
        service = errors.model(ServiceIn, path, item)
        if service is not None:
            if service.id in seen:
                errors.add(f"{path}.id", f"service {service.id!r} is named twice")
            seen.add(service.id)
            plan.services.append((path, service))
        service_id = service.id if service is not None else ""
        _monitors(plan, errors, monitor_items, f"{path}.monitors", service_id, settings)


def _monitors(
    plan: Plan, errors: _Errors, raw: Any, path: str, service_id: str, settings: WatchSettings
) -> None:
    if not isinstance(raw, list):
        errors.add(path, "must be a list")
        return
    names: set[str] = set()
    for j, item in enumerate(raw):
        at = f"{path}[{j}]"
        if not isinstance(item, dict):
            errors.add(at, "must be a mapping")
            continue
        if "service_id" in item:
            errors.add(f"{at}.service_id", "is set by the enclosing service")
            continue
        body = errors.model(MonitorIn, at, {**item, "service_id": service_id or "-"})
        if body is None:
            continue
        if body.name in names:
            errors.add(f"{at}.name", f"monitor {body.name!r} is named twice in this service")
        names.add(body.name)
        for problem in monitors.problems(body, settings):
            errors.add(path_of(at, problem["loc"][1:]), problem["msg"])
        if service_id:
            plan.monitors.append((at, body))


def _windows(plan: Plan, errors: _Errors, raw: Any) -> None:
    if not isinstance(raw, list):
        errors.add("maintenance", "must be a list")
        return
    titles: set[str] = set()
    for i, item in enumerate(raw):
        path = f"maintenance[{i}]"
        window = errors.model(MaintenanceIn, path, item)
        if window is None:
            continue
        if window.title in titles:
            errors.add(f"{path}.title", f"maintenance {window.title!r} is named twice")
        titles.add(window.title)
        if window.ends_at <= window.starts_at:
            errors.add(f"{path}.ends_at", "must be after starts_at")
        plan.windows.append((path, window))


def read(text: str, settings: WatchSettings, variables: Mapping[str, str] | None = None) -> Plan:
    """Parse and check a whole file; raises ``InvalidInput`` listing every problem."""
    document = load(text, variables)
    errors, plan = _Errors(), Plan()
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise InvalidInput([_file_error("the file must be a mapping with 'services'")])
    for key in document:
        if key not in TOP_LEVEL:
            errors.add(str(key), f"unknown key; expected {' or '.join(TOP_LEVEL)}")
    _services(plan, errors, document.get("services") or [], settings)
    _windows(plan, errors, document.get("maintenance") or [])
    if errors.items:
        raise InvalidInput(errors.items)
    return plan
