"""The ``vigie`` command: run the pipeline, serve one service, replay a log file."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from services.runtime import logs
from services.runtime.settings import Settings

app = typer.Typer(help="Vigie: streaming detection pipeline for MSSPs.", no_args_is_help=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML configuration (default: $VIGIE_CONFIG)."),
]


def _load(config: Path | None) -> Settings:
    try:
        return Settings.load(config)
    except (OSError, ValueError) as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


@app.command()
def run(config: ConfigOpt = None) -> None:
    """Run every service in one process (in-memory bus, chDB store)."""
    from services.runtime.demo import ensure_demo_config
    from services.runtime.embedded import run_embedded

    keys: dict[str, str] = {}
    if config is None and not os.environ.get("VIGIE_CONFIG"):
        config, keys = ensure_demo_config(Path(os.environ.get("VIGIE_DATA_DIR", "var")))
    settings = _load(config)
    logs.setup(settings.log_level)

    def announce(collector: object) -> None:
        lines = [f"Vigie is running (embedded). Config: {config}"]
        for tenant in settings.tenants:
            for listener in tenant.syslog:
                lines.append(f"  tenant {tenant.id}: syslog {listener.transport}://{listener.listen}")
        lines.append(f"  API: http://{settings.api.listen}/api/v1/alerts")
        lines += [f"  API key ({role}): {key}" for role, key in keys.items()]
        lines.append("Press Ctrl-C to stop.")
        typer.echo("\n".join(lines))

    asyncio.run(run_embedded(settings, on_ready=announce))


@app.command()
def up(config: ConfigOpt = None) -> None:
    """Start a local Kafka broker and every service as background processes (see `vigie down`)."""
    from services.runtime.demo import ensure_demo_config
    from services.runtime.supervisor import SupervisorError
    from services.runtime.supervisor import up as start_all

    keys: dict[str, str] = {}
    if config is None and not os.environ.get("VIGIE_CONFIG"):
        data_dir = Path(os.environ.get("VIGIE_DATA_DIR", "var/cluster"))
        config, keys = ensure_demo_config(data_dir, bus_url="kafka://127.0.0.1:9092")
    settings = _load(config)
    try:
        lines = start_all(settings, Path(config or os.environ["VIGIE_CONFIG"]).resolve())
    except (SupervisorError, OSError, subprocess.CalledProcessError) as exc:
        typer.secho(f"vigie up failed: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo("\n".join([f"Vigie is up (Kafka {settings.bus.url}). Config: {config}", *lines]))
    typer.echo("\n".join(f"  API key ({role}): {key}" for role, key in keys.items()))


@app.command()
def down(config: ConfigOpt = None) -> None:
    """Stop every service started by `vigie up`, then its broker."""
    from services.runtime.supervisor import down as stop_all

    if config is None and not os.environ.get("VIGIE_CONFIG"):
        config = Path(os.environ.get("VIGIE_DATA_DIR", "var/cluster")) / "vigie.yaml"
        if not config.exists():
            typer.echo("nothing to stop")
            return
    stopped = stop_all(_load(config))
    typer.echo(f"stopped: {', '.join(stopped) or 'no service was running'}; broker stopped")


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    to: Annotated[str, typer.Option("--to", help="tcp://, tls:// or udp://HOST:PORT")],
    rate: Annotated[float | None, typer.Option(help="Lines per second (default: as fast as possible).")] = None,
    framing: Annotated[str, typer.Option(help="TCP/TLS framing: newline or octet.")] = "newline",
    ca: Annotated[str | None, typer.Option(help="TLS: CA file to verify the listener.")] = None,
    cert: Annotated[str | None, typer.Option(help="TLS: client certificate file.")] = None,
    key: Annotated[str | None, typer.Option(help="TLS: client private key file.")] = None,
) -> None:
    """Send a log file line by line to a syslog listener and exit when all is sent."""
    from rich.progress import Progress

    from services.collector.replay import replay as send

    total = sum(1 for _ in file.open("rb"))
    with Progress() as progress:
        task = progress.add_task(f"replaying {file.name}", total=total)

        def advance(sent: int) -> None:
            progress.update(task, completed=sent)

        try:
            sent = asyncio.run(
                send(file, to, rate=rate, framing=framing, progress=advance, ca=ca, cert=cert, key=key)
            )
        except (OSError, ValueError) as exc:
            typer.secho(f"replay failed: {exc}", fg="red", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"sent {sent} of {total} lines to {to}")


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="collector, normalizer, correlator, responder or api")],
    config: ConfigOpt = None,
    ops_listen: Annotated[
        str | None, typer.Option(help="host:port for /metrics, /healthz, /readyz (not for api).")
    ] = None,
) -> None:
    """Run one service on its own (distributed mode, normally with a Kafka bus)."""
    from services.runtime.serve import run_service

    settings = _load(config)
    logs.setup(settings.log_level)
    try:
        asyncio.run(run_service(service, settings, ops_listen=ops_listen))
    except ValueError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from exc
