"""The ``kpiwatch`` command."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from kpiwatch.core import audit, tenancy, users
from kpiwatch.core.config import get_settings
from kpiwatch.core.context import Caller
from kpiwatch.core.db import Database
from kpiwatch.core.errors import KpiwatchError
from kpiwatch.core.errors import NotFound as KpiwatchNotFound
from kpiwatch.core.migrate import upgrade

app = typer.Typer(
    help="kpiwatch: operations KPIs, SLAs and status from real data.",
    pretty_exceptions_show_locals=False,
)
user_app = typer.Typer(help="Manage users.")
tenant_app = typer.Typer(help="Manage tenants.")
app.add_typer(user_app, name="user")
app.add_typer(tenant_app, name="tenant")
console = Console(stderr=True)
T = TypeVar("T")


def _run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(work)
    except KpiwatchError as exc:
        detail = exc.detail
        if isinstance(detail, dict) and "errors" in detail:
            for e in detail["errors"]:
                console.print(escape(f"line {e['line']}: {e['field'] or 'record'} {e['reason']}"))
            detail = detail["message"]
        if isinstance(detail, list):  # InvalidInput's field errors: name each field
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in detail)
        console.print(f"[red]error:[/red] {escape(str(detail))}")
        raise typer.Exit(1) from exc


async def _with_db(work: Any) -> Any:
    db = Database(get_settings().database_url)
    try:
        return await work(db)
    finally:
        await db.dispose()


@app.command()
def migrate() -> None:
    """Create or upgrade every table to the latest schema."""

    async def work(db: Database) -> None:
        await upgrade(db.engine)

    _run(_with_db(work))
    console.print("database is at the latest migration")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    role: Annotated[
        str,
        typer.Option(
            help="all (API, watch loop, notification worker), api (no checks, no sending), "
            "watch (checks only) or notify (sending notifications only)."
        ),
    ] = "all",
) -> None:
    """Serve the API and pages."""
    import uvicorn

    from kpiwatch.app import create_app
    from kpiwatch.core.clock import Clock
    from kpiwatch.core.logs import configure
    from kpiwatch.watch.config import WatchSettings

    if role not in ("all", "api", "watch", "notify"):
        raise typer.BadParameter("must be all, api, watch or notify", param_hint="--role")
    settings = get_settings()
    configure(settings.log_level)
    watch = WatchSettings()
    if role == "watch":
        from kpiwatch.watch.service import run_forever

        _run(_with_db(lambda db: run_forever(db, watch, Clock(), settings)))
        return
    if role == "notify":
        from kpiwatch.incidents.delivery import run_forever as deliver_forever

        _run(_with_db(lambda db: deliver_forever(db, settings, Clock())))
        return
    if role == "api":
        settings = settings.model_copy(update={"notify_worker": False})
    enabled = role == "all" and watch.enabled is not False
    uvicorn.run(
        create_app(settings, watch=watch.model_copy(update={"enabled": enabled})),
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
    )


@app.command()
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve afterwards.")
    ] = True,
) -> None:
    """Migrate, load the demo data (idempotent), print the demo login, and serve."""
    from kpiwatch import demo as demo_data

    settings = get_settings()

    async def work(db: Database) -> tuple[str, str]:
        await upgrade(db.engine)
        return await demo_data.load(db, settings)

    username, password = _run(_with_db(work))
    console.print(f"demo admin: [bold]{username}[/bold]  password: [bold]{password}[/bold]")
    if serve_after:
        import os

        # The demo's monitors check this server's own /demo-target/ endpoints.
        os.environ.setdefault("KPIWATCH_WATCH_DEMO_TARGET", "true")
        console.print(f"serving on http://{settings.host}:{settings.port}")
        serve(None, None, "all")


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Login name.")],
    password: Annotated[str, typer.Option(help="At least 8 characters.")],
    role: Annotated[str, typer.Option(help="viewer, reporter or admin.")] = "viewer",
    tenant: Annotated[str, typer.Option(help="Tenant slug.")] = "default",
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
) -> None:
    """Create a user."""
    if role not in ("viewer", "reporter", "admin"):
        raise typer.BadParameter("must be viewer, reporter or admin", param_hint="--role")
    if len(password) < 8:
        raise typer.BadParameter("must be at least 8 characters", param_hint="--password")

    async def work(db: Database) -> int:
        now = datetime.now(UTC)
        async with db.write() as conn:
            tenant_id = await tenancy.tenant_id_by_slug(conn, tenant)
            user_id = await users.insert_user(
                conn,
                tenant_id,
                username=username,
                password=password,
                role=role,
                email=email,
                now=now,
            )
            # Accounts made outside the API (often the first admin) are audited all the same.
            caller = Caller(tenant_id, tenant, now, name="cli")
            detail = {"username": username, "role": role}
            await audit.record(conn, caller, "user.create", "user", user_id, detail)
            return user_id

    user_id = _run(_with_db(work))
    console.print(f"created user {username} (id {user_id}, {role}) in tenant {tenant}")


@tenant_app.command("create")
def tenant_create(
    slug: Annotated[str, typer.Option(help="Short name used in URLs.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. Asia/Seoul.")] = "UTC",
) -> None:
    """Create a tenant."""

    async def work(db: Database) -> int:
        now = datetime.now(UTC)
        async with db.write() as conn:
            tenant_id = await tenancy.create_tenant(
                conn, slug=slug, name=name, timezone=timezone, now=now
            )
            caller = Caller(tenant_id, slug, now, name="cli")
            detail = {"name": name, "timezone": timezone}
            await audit.record(conn, caller, "tenant.create", "tenant", slug, detail)
            return tenant_id

    _run(_with_db(work))
    console.print(f"created tenant {slug} ({timezone})")


@app.command()
def ingest(
    dataset: Annotated[str, typer.Argument(help="service_requests or deployments.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".ndjson/.jsonl/.csv")],
    tenant: Annotated[str, typer.Option(help="Tenant slug.")] = "default",
) -> None:
    """Upsert a file of rows into a dataset, all or nothing, as POST /api/ingest does."""
    from kpiwatch.ingest import service

    fmt = "csv" if file.suffix.lower() == ".csv" else "ndjson"

    async def work(db: Database) -> service.IngestResult:
        async with db.read() as conn:
            tenant_id = await tenancy.tenant_id_by_slug(conn, tenant)
        caller = Caller(tenant_id, tenant, datetime.now(UTC), name="cli")
        with (
            Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=console,
            ) as progress,
            progress.open(file, "rb", description=f"{dataset} ← {file.name}") as body,
        ):
            return await service.ingest(db, caller, dataset, body, fmt)

    result = _run(_with_db(work))
    console.print(
        f"{result.dataset}: received {result.received}, inserted {result.inserted}, "
        f"updated {result.updated}"
    )


@app.command()
def compute(
    kpi: Annotated[str | None, typer.Option(help="Only this KPI (by name).")] = None,
    start: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First local date.")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last local date.")
    ] = None,
    tenant: Annotated[str, typer.Option(help="Tenant slug.")] = "default",
) -> None:
    """Compute KPIs: the current period, or every period from --from to --to."""
    from kpiwatch.kpi import calculate, definitions

    if (start is None) != (end is None):
        raise typer.BadParameter("give both --from and --to, or neither")

    async def work(db: Database) -> int:
        now = datetime.now(UTC)
        async with db.read() as conn:
            tenant_id = await tenancy.tenant_id_by_slug(conn, tenant)
            kpis = await definitions.list_all(conn, tenant_id)
        chosen = [k for k in kpis if kpi is None or k["name"] == kpi]
        if kpi is not None and not chosen:
            raise KpiwatchNotFound(f"no active KPI named {kpi!r} in tenant {tenant}")
        with Progress(console=console) as progress:
            task = progress.add_task("computing", total=len(chosen))
            for definition in chosen:
                progress.update(task, description=definition["name"])
                if start is None or end is None:
                    await calculate.calculate_current(db, definition, now)
                else:
                    await calculate.calculate(db, definition, start.date(), end.date(), now)
                progress.advance(task)
        return len(chosen)

    count = _run(_with_db(work))
    console.print(f"computed {count} KPI(s)")


@app.command("apply")
def apply_file(
    file: Annotated[
        Path, typer.Option("-f", "--file", exists=True, dir_okay=False, help="kpiwatch.yaml")
    ],
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete what the file no longer names.")
    ] = False,
    tenant: Annotated[str, typer.Option(help="Tenant slug.")] = "default",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
    ] = False,
) -> None:
    """Create or update services, monitors and maintenance windows from a YAML file."""
    import os

    from kpiwatch.status import apply as applying
    from kpiwatch.status import config_file
    from kpiwatch.watch.config import WatchSettings

    watch = WatchSettings()

    async def work(db: Database) -> list[applying.Change]:
        plan = config_file.read(file.read_text(encoding="utf-8"), watch, os.environ)
        async with db.read() as conn:
            tenant_id = await tenancy.tenant_id_by_slug(conn, tenant)
        caller = Caller(tenant_id, tenant, datetime.now(UTC), name="cli")
        return await applying.apply_file(db, caller, plan, watch, prune=prune, dry_run=dry_run)

    changes = _run(_with_db(work))
    for change in changes:
        console.print(escape(str(change)))
    if not changes:
        console.print("nothing to change")
    else:
        dry = " (dry run: nothing written)" if dry_run else ""
        console.print(f"{len(changes)} change(s){dry}")


@app.command("ingest-pm")
def ingest_pm(
    paths: Annotated[list[str], typer.Argument(help="PM files, directories or glob patterns.")],
    tenant: Annotated[str, typer.Option(help="Tenant slug.")] = "default",
    lenient: Annotated[
        bool, typer.Option("--lenient", help="Keep the good measInfo blocks of a bad file.")
    ] = False,
) -> None:
    """Import PM files (TS 32.435/28.532 XML, gzip, CSV) as POST /api/pm/files does; exits
    with 1 when a file was rejected."""
    from kpiwatch.ran import files

    try:
        found = files.pm_paths(paths)
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc), param_hint="PATHS") from exc

    async def work(db: Database) -> list[files.FileResult]:
        async with db.read() as conn:
            tenant_id = await tenancy.tenant_id_by_slug(conn, tenant)
        caller = Caller(tenant_id, tenant, datetime.now(UTC), name="cli")
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("importing", total=len(found))
            done = iter(found)

            def heard(results: list[files.FileResult]) -> None:
                # One plain write per batch: rich's markup and a redraw per line would cost
                # more than importing the file.
                lines = (f"{next(done)}: {files.describe(result)}" for result in results)
                progress.console.out("\n".join(lines), highlight=False)
                progress.advance(task, len(results))

            sources = ((str(path), path.read_bytes()) for path in found)
            return await files.import_files(db, caller, sources, lenient=lenient, on_batch=heard)

    results = _run(_with_db(work))
    counts = {s: sum(r.status == s for r in results) for s in ("imported", "duplicate", "rejected")}
    values = sum(r.values for r in results if r.status == "imported")
    console.print(
        f"{counts['imported']} imported ({values:,} values), {counts['duplicate']} duplicate, "
        f"{counts['rejected']} rejected"
    )
    if counts["rejected"]:
        raise typer.Exit(1)
