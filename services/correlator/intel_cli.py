"""``vigie intel load``: a STIX, MISP or CSV file → ``ti.indicators`` on the configured Kafka bus.

``vigie intel load FILE [--format auto|stix|misp|csv] (--tenant T | --global) [--confidence N]
[--valid-days N] [--feed NAME] [--dry-run]``. The scope is never implied: ``--tenant`` (a
configured tenant) or ``--global`` (every tenant) must be given. ``--confidence`` applies to
entries that carry none; ``--valid-days`` ends the validity of entries that have no end.
Each skipped entry is printed to stderr with its reason, then a summary.

The embedded mode's bus lives inside the ``vigie run`` process, so with a ``memory://`` bus this
command refuses to publish: name the file in ``intel.files`` (reloaded when it changes) or POST
it to ``/api/v1/intel``. ``--dry-run`` works with any bus: the indicators as JSON lines on
stdout, nothing published. Exit 0 when every entry loaded, 1 when some were skipped, 2 on a
usage error or a file that cannot be read.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from services.runtime.settings import Settings

if TYPE_CHECKING:
    from schemas.indicator import Indicator

app = typer.Typer(help="Threat intelligence: load indicator files.", no_args_is_help=True)
EMBEDDED_HINT = (
    "the bus is not Kafka: the embedded mode's bus lives inside `vigie run`. Name the file in"
    " intel.files of its configuration (reloaded when it changes), POST it to /api/v1/intel,"
    " or check it with --dry-run"
)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg="red", err=True)
    return typer.Exit(2)


def _scope(settings: Settings, tenant: str | None, is_global: bool) -> str | None:
    if (tenant is None) == (not is_global):
        raise _fail("usage error: give exactly one of --tenant T or --global")
    if tenant is not None and settings.tenants and settings.tenant(tenant) is None:
        raise _fail(f"usage error: tenant {tenant!r} is not configured")
    return tenant


async def _publish(settings: Settings, indicators: list[Indicator]) -> int:
    from services.correlator.ti_store import publish
    from services.runtime.bus import open_bus

    bus = open_bus(settings.bus)
    await bus.start()
    try:
        return await publish(bus, indicators)
    finally:
        await bus.stop()


@app.command("load")
def load_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    fmt: Annotated[str, typer.Option("--format", help="auto, stix, misp or csv.")] = "auto",
    tenant: Annotated[
        str | None, typer.Option(help="The one tenant these indicators are for.")
    ] = None,
    is_global: Annotated[bool, typer.Option("--global", help="For every tenant.")] = False,
    confidence: Annotated[
        int | None, typer.Option(min=0, max=100, help="For entries without one.")
    ] = None,
    valid_days: Annotated[
        float | None, typer.Option(min=0.0, help="Validity of entries without an end.")
    ] = None,
    feed: Annotated[str | None, typer.Option(help="Feed name (default: the file name).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print, do not publish.")] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML configuration.")
    ] = None,
) -> None:
    """Load one intel file and publish its indicators to ti.indicators (Kafka bus)."""
    from services.correlator.intel import IntelError, LoadOptions, load

    try:
        settings = Settings.load(config)
    except (OSError, ValueError) as exc:
        raise _fail(f"configuration error: {exc}") from exc
    scope = _scope(settings, tenant, is_global)
    if fmt not in ("auto", "stix", "misp", "csv"):
        raise _fail(f"usage error: --format {fmt!r} is not auto, stix, misp or csv")
    if not dry_run and not settings.bus.url.startswith("kafka://"):
        raise _fail(EMBEDDED_HINT)
    options = LoadOptions(tenant=scope, feed=feed or file.name, confidence=confidence,
                          valid_days=valid_days, now=datetime.now(UTC))  # fmt: skip
    try:
        result = load(file.read_bytes(), fmt, options, name=file.name)  # type: ignore[arg-type]
    except (OSError, IntelError) as exc:
        raise _fail(f"{file}: {exc}") from exc
    for skip in result.skipped:
        typer.echo(f"skipped {skip.entry}: {skip.reason}", err=True)
    if dry_run:
        for indicator in result.indicators:
            typer.echo(indicator.model_dump_json())
        done = "checked (dry run, nothing published)"
    else:
        try:
            asyncio.run(_publish(settings, result.indicators))
        except Exception as exc:  # the broker's many errors: a message, not a traceback
            typer.secho(f"publish to {settings.bus.url} failed: {exc!r}", fg="red", err=True)
            raise typer.Exit(1) from exc
        done = f"published to {settings.bus.url}"
    where = f"tenant {scope}" if scope else "every tenant"
    typer.echo(f"{len(result.indicators)} indicators for {where} {done}; "
               f"{len(result.skipped)} entries skipped", err=True)  # fmt: skip
    raise typer.Exit(1 if result.skipped else 0)
