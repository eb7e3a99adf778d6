"""The ``vigie`` command: run the pipeline, serve one service, replay or parse a log file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from services.correlator import intel_cli
from services.runtime import logs
from services.runtime.settings import Settings

if TYPE_CHECKING:
    from sigma.processing.pipeline import ProcessingPipeline

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
        if settings.collector.http_listen:
            lines.append(f"  HTTP ingest: http://{settings.collector.http_listen}/ingest/v1/events")
        lines.append(f"  API: http://{settings.api.listen}/api/v1/alerts")
        lines.append(
            "  Embedded mode is not durable: records in flight are lost if this process dies."
        )
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


@app.command("parse")
def parse_files(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    fmt: Annotated[str, typer.Option("--format", help="A format hint, or auto to detect.")] = "auto",
    timezone: Annotated[str, typer.Option(help="For timestamps without an offset.")] = "UTC",
    tenant: Annotated[str, typer.Option(help="organization.id of the documents.")] = "local",
) -> None:
    """Normalise log files offline: ECS JSON lines on stdout, failures and a summary on stderr."""
    from services.normalizer.offline import OfflineRun

    stderr_line = partial(typer.echo, err=True)
    try:
        offline = OfflineRun(fmt=fmt, timezone=timezone, tenant=tenant)
    except ValueError as exc:
        typer.secho(f"usage error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    stdout = sys.stdout.buffer
    try:
        summary = offline.run(files, out=lambda doc: stdout.write(doc + b"\n"), err=stderr_line)
        stdout.flush()
    except BrokenPipeError:  # `vigie parse ... | head`: stop quietly, as other filters do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    typer.echo("\n".join(summary.lines(per_format=offline.per_format)), err=True)
    raise typer.Exit(1 if summary.total.failures else 0)


@app.command()
def hunt(
    rule_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Sigma rule (YAML).")],
    tenant: Annotated[list[str], typer.Option("--tenant", "-t", help="Tenant to hunt in (repeat for several).")],
    since: Annotated[str, typer.Option(help="Start, ISO 8601, inclusive (UTC without an offset).")],
    until: Annotated[str | None, typer.Option(help="End, ISO 8601, exclusive (default: no end).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events, oldest first.")] = 100,
    config: ConfigOpt = None,
) -> None:
    """Run a Sigma rule over the stored events; print each match as one JSON line.

    Reads the configured store directly. A chDB store opens in one process at a time, so while
    Vigie runs on chDB this fails: hunt through the API instead (POST /api/v1/hunts).
    """
    import orjson

    from services.api.hunt import StoreUnavailable, hunt_store
    from services.api.utc import parse_utc

    settings = _load(config)
    try:
        window = {"since": parse_utc(since), "until": parse_utc(until) if until else None}
        docs = asyncio.run(
            hunt_store(
                settings.store_dsn, rule_file.read_text(encoding="utf-8"),
                tenants=tenant, limit=limit, **window,
            )
        )  # fmt: skip
    except StoreUnavailable as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from exc
    except ValueError as exc:  # a refused rule, a bad time, a file that is not UTF-8
        typer.secho(f"hunt refused: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    for doc in docs:
        typer.echo(orjson.dumps(doc).decode())


rules_app = typer.Typer(help="Sigma rule files: check what loads.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(intel_cli.app, name="intel")
PipelineOpt = Annotated[
    Path | None,
    typer.Option(exists=True, dir_okay=False, help="pySigma pipeline YAML (default: Vigie's ECS)."),
]


def _pipeline(path: Path | None) -> ProcessingPipeline | None:
    from services.correlator.sigma_pipeline import ecs_pipeline

    try:
        return ecs_pipeline(path) if path is not None else None
    except Exception as exc:  # pySigma raises many kinds on a bad pipeline file
        typer.secho(f"usage error: pipeline {path}: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


@rules_app.command("check")
def rules_check(
    paths: Annotated[list[Path], typer.Argument(help="Rule files or folders.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per rule.")] = False,
    pipeline: PipelineOpt = None,
) -> None:
    """List every rule as loaded, unsupported or error (with the reason); exit 1 unless all load."""
    import orjson

    from services.correlator.check import check_rules

    result = check_rules(paths, pipeline=_pipeline(pipeline))
    for rule in result.rules:
        typer.echo(orjson.dumps(rule.as_json()).decode() if as_json else "\n".join(rule.lines()))
    typer.echo(result.summary(), err=as_json)  # stdout stays JSON lines only
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def detect(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    rules: Annotated[list[Path], typer.Option("--rules", help="Rule file or folder (repeatable).")],
    fmt: Annotated[str, typer.Option("--format", help="Format hint, or auto to detect.")] = "auto",
    timezone: Annotated[str, typer.Option(help="For timestamps without an offset.")] = "UTC",
    tenant: Annotated[str, typer.Option(help="organization.id of the events.")] = "local",
    allowed_lateness: Annotated[
        float, typer.Option(help="Seconds a hit may lag its window's newest hit (as the stream).")
    ] = 60.0,
    pipeline: PipelineOpt = None,
) -> None:
    """Detect offline: the final version of each alert as JSON lines on stdout, a summary on
    stderr. Exit 2 on a usage error or when no rule loads, 1 when a rule or a record failed."""
    from datetime import timedelta

    from services.correlator.check import report
    from services.correlator.offline import OfflineDetection
    from services.correlator.rules import load_rules

    def stderr_line(text: str) -> None:
        typer.echo(text, err=True)

    ruleset = load_rules(rules, pipeline=_pipeline(pipeline))
    failed = [r for r in report(ruleset).rules if r.status != "loaded"]
    for rule in failed:
        stderr_line(f"rule not loaded ({rule.status}): {rule.path}: {rule.title}: {rule.reason}")
    if not ruleset.detections:
        typer.secho("usage error: no rule loaded", fg="red", err=True)
        raise typer.Exit(2)
    try:
        offline = OfflineDetection(
            ruleset, fmt=fmt, timezone=timezone, tenant=tenant,
            allowed_lateness=timedelta(seconds=allowed_lateness),
        )  # fmt: skip
    except ValueError as exc:
        typer.secho(f"usage error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    summary = offline.run(files, err=stderr_line)
    for alert in offline.alerts:
        typer.echo(alert.model_dump_json())
    typer.echo("\n".join(summary.lines(per_format=offline.per_format)), err=True)
    raise typer.Exit(1 if failed or summary.parsed.total.failures or summary.refused else 0)
