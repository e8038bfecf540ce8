"""``kpiwatch apply``: make a tenant's services, monitors and maintenance windows match a
plan (``config_file.read``), in the caller's transaction.

Services are matched by ``id``, monitors by (service, ``name``), maintenance windows by
``title``. Only what differs is written, through the same service functions the API uses
(so every write is audited); applying the same file twice changes nothing the second
time. With ``prune``, what the file does not name is deleted. Any error raises and the
caller's transaction rolls back: nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.errors import InvalidInput
from kpiwatch.status import maintenance, services
from kpiwatch.status.config_file import Plan, path_of
from kpiwatch.status.services import ServiceFields
from kpiwatch.watch import monitors
from kpiwatch.watch.config import WatchSettings
from kpiwatch.watch.monitors import MonitorIn


@dataclass(frozen=True)
class Change:
    action: str  # created | updated | deleted
    kind: str  # service | monitor | maintenance
    name: str
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.action} {self.kind} {self.name}{detail}"


def _differing(wanted: dict[str, Any], current: dict[str, Any]) -> tuple[str, ...]:
    return tuple(k for k, v in wanted.items() if current.get(k) != v)


def _remap(exc: InvalidInput, path: str) -> InvalidInput:
    """An error of a service function, at the YAML path of the item it was about."""
    if not isinstance(exc.detail, list):
        return exc
    items = [{**e, "loc": [path_of(path, list(e["loc"])[1:])]} for e in exc.detail]
    return InvalidInput(items)


async def _services(conn: AsyncConnection, caller: Caller, plan: Plan) -> list[Change]:
    current = {s["id"]: s for s in await services.list_services(conn, caller.tenant_id)}
    changes: list[Change] = []
    for path, wanted in plan.services:
        try:
            if wanted.id not in current:
                await services.create_service(conn, caller, wanted)
                changes.append(Change("created", "service", wanted.id))
                continue
            fields = ServiceFields.model_validate(wanted.model_dump(exclude={"id"}))
            differing = _differing(fields.model_dump(), current[wanted.id])
            if differing:
                await services.update_service(conn, caller, wanted.id, fields)
                changes.append(Change("updated", "service", wanted.id, differing))
        except InvalidInput as exc:
            raise _remap(exc, path) from None
    return changes


def _monitor_values(body: MonitorIn) -> dict[str, Any]:
    values = body.model_dump()
    if body.push_token is None:  # the file names no token: keep the one given out
        values.pop("push_token")
    return values


async def _monitors(
    conn: AsyncConnection, caller: Caller, plan: Plan, settings: WatchSettings, prune: bool
) -> list[Change]:
    existing: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in await monitors.list_(conn, caller.tenant_id):
        existing.setdefault((row["service_id"], row["name"]), []).append(row)
    changes: list[Change] = []
    kept: set[int] = set()
    for path, body in plan.monitors:
        name = f"{body.service_id}/{body.name}"
        found = existing.get((body.service_id, body.name), [])
        try:
            if not found:
                row = await monitors.create(conn, caller, body, settings)
                kept.add(row["id"])
                changes.append(Change("created", "monitor", name))
                continue
            current = found[0]
            kept.add(current["id"])
            differing = _differing(_monitor_values(body), current)
            if differing:
                await monitors.replace(conn, caller, current["id"], body, settings)
                changes.append(Change("updated", "monitor", name, differing))
        except InvalidInput as exc:
            raise _remap(exc, path) from None
    if prune:
        for (service_id, monitor_name), rows in sorted(existing.items()):
            for row in rows:
                if row["id"] not in kept:
                    await monitors.remove(conn, caller, row["id"])
                    changes.append(Change("deleted", "monitor", f"{service_id}/{monitor_name}"))
    return changes


async def _prune_services(conn: AsyncConnection, caller: Caller, plan: Plan) -> list[Change]:
    named = {s.id for _, s in plan.services}
    changes = []
    for service in await services.list_services(conn, caller.tenant_id):
        if service["id"] not in named:
            await services.delete_service(conn, caller, service["id"])
            changes.append(Change("deleted", "service", service["id"]))
    return changes


def _check_window_services(plan: Plan, known: set[str]) -> None:
    errors = [
        {
            "loc": [f"{path}.service_ids[{k}]"],
            "msg": f"no service {service_id!r}",
            "type": "value_error",
        }
        for path, window in plan.windows
        for k, service_id in enumerate(window.service_ids)
        if service_id not in known
    ]
    if errors:
        raise InvalidInput(errors)


async def _windows(conn: AsyncConnection, caller: Caller, plan: Plan, prune: bool) -> list[Change]:
    existing: dict[str, list[dict[str, Any]]] = {}
    for row in await maintenance.list_windows(conn, caller.tenant_id):
        existing.setdefault(row["title"], []).append(row)
    changes: list[Change] = []
    kept: set[int] = set()
    for path, wanted in plan.windows:
        found = existing.get(wanted.title, [])
        try:
            if not found:
                row = await maintenance.create_window(conn, caller, wanted)
                kept.add(row["id"])
                changes.append(Change("created", "maintenance", repr(wanted.title)))
                continue
            kept.add(found[0]["id"])
            differing = _differing(wanted.model_dump(), found[0])
            if differing:
                await maintenance.update_window(conn, caller, found[0]["id"], wanted)
                changes.append(Change("updated", "maintenance", repr(wanted.title), differing))
        except InvalidInput as exc:
            raise _remap(exc, path) from None
    if prune:
        for title, rows in sorted(existing.items()):
            for row in rows:
                if row["id"] not in kept:
                    await maintenance.delete_window(conn, caller, row["id"])
                    changes.append(Change("deleted", "maintenance", repr(title)))
    return changes


async def apply(
    conn: AsyncConnection,
    caller: Caller,
    plan: Plan,
    settings: WatchSettings,
    *,
    prune: bool = False,
) -> Sequence[Change]:
    """Apply ``plan`` in ``conn``'s transaction; answers what changed (empty: nothing)."""
    named = {s.id for _, s in plan.services}
    if not prune:
        named |= {s["id"] for s in await services.list_services(conn, caller.tenant_id)}
    _check_window_services(plan, named)
    changes = list(await _services(conn, caller, plan))
    changes += await _monitors(conn, caller, plan, settings, prune)
    changes += await _windows(conn, caller, plan, prune)
    if prune:
        changes += await _prune_services(conn, caller, plan)
    return changes


class _DryRun(Exception):
    """Raised to roll a dry run's transaction back."""


async def apply_file(
    db: Database,
    caller: Caller,
    plan: Plan,
    settings: WatchSettings,
    *,
    prune: bool = False,
    dry_run: bool = False,
) -> list[Change]:
    """Apply ``plan`` in one write transaction (rolled back for a dry run)."""
    changes: list[Change] = []
    try:
        async with db.write() as conn:
            changes = list(await apply(conn, caller, plan, settings, prune=prune))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return changes
