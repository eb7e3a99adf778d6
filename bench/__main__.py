"""``python -m bench`` (what ``make bench`` runs): CPU figures of the correlator and the normaliser,
and the distributed pipeline's throughput and latency on a real Kafka broker.

Usage: ``python -m bench [correlator] [normalizer] [kafka] [--budget SECONDS]`` (all benches by
default; ``--budget``, 3 s by default, is the CPU time spent measuring each rule set of the
correlator, and a third of it each normaliser format, so those two take one to two minutes on two
cores, loading 1,000 Sigma rules with pySigma included; the kafka bench takes about three more).

Each bench writes ``bench/results/<name>.json`` and prints a short table. A results file holds
the ``name``, the ``date`` (UTC), the ``machine`` (cpu count, python version, platform), the
``parameters``, the ``figures`` and the ``targets`` (what, wanted, value, met); see
``bench/report.py``. Every figure is CPU time (``time.process_time``) of the measured call alone
(making inputs is not counted), per core since the benches run in one thread.

- ``correlator`` (``bench/correlator.py``): ``Correlator.feed`` over a realistic ECS mix
  (``bench/events.py``: Windows Security and Sysmon, Linux auth through the normaliser, firewall,
  CloudTrail, Okta, Azure sign-ins; five tenants; 2,000 events per second of event time) with
  the corpus Sigma rules, with 500 and with 1,000 rules (corpus plus variants with other literal
  values, ``bench/variants.py``), fed in turns so that the machine's load weighs on each alike;
  then one rule matching every event. Targets: >= 20,000 events per CPU-second at 1,000 rules;
  1,000 rules cost <= 1.3x the CPU of 500; a noisy rule's cost per hit does not grow with the
  hits before it.
- ``normalizer`` (``bench/normalizer.py``): ``Normalizer.handle`` per format of ``PARSERS``, on
  the corpus records of that format (syslog: the auth logs) or generated ones; skipped with a
  note while the normaliser is absent. No target yet.

The corpus (``../shared/corpus``) provides the rules and part of the events; without it the
correlator bench is skipped with a note. Benches are never tests: nothing here asserts a time.
Results are written by runs and not committed, unless the lead keeps one as a reference run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bench import CORPUS, correlator, kafka, normalizer
from bench.report import Target, table, write

Bench = Callable[[float], tuple[dict[str, Any], dict[str, Any], list[Target]]]
BENCHES: dict[str, Bench] = {
    "correlator": correlator.run,
    "normalizer": normalizer.run,
    "kafka": kafka.run,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="bench", help=f"any of {', '.join(BENCHES)}")
    parser.add_argument("--budget", type=float, default=3.0, help="CPU seconds per measurement")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown bench {sorted(unknown)}; known: {', '.join(BENCHES)}")
    for name in args.names or BENCHES:
        if name == "correlator" and not CORPUS.is_dir():
            print(f"correlator: skipped, the corpus ({CORPUS}) is absent")
            continue
        parameters, figures, targets = BENCHES[name](args.budget)
        path = write(name, parameters, figures, targets)  # a skip is written too, with its reason
        if isinstance(figures.get("skipped"), str):
            print(f"{name}: skipped, {figures['skipped']} -> {path}")
            continue
        print(f"\n{name} -> {path}")
        print(table(_rows(figures, targets)))


def _rows(figures: dict[str, Any], targets: list[Target]) -> list[tuple[str, str, str]]:
    rows = [("figure", "value", "target")]
    for key, value in figures.items():
        if not isinstance(value, dict):
            continue
        if "documents_per_cpu_second" in value:
            figure = f"{value['events_per_cpu_second']} ({value['documents_per_cpu_second']} docs)"
            rows.append((f"{key}: records per CPU-second", figure, ""))
        elif "offered_per_second" in value:
            rows.append(
                (
                    f"{key}: sustained (normalizer, correlator) events/s",
                    (
                        f"{value['sustained_normalizer_per_second']}, "
                        f"{value['sustained_correlator_per_second']}"
                    ),
                    "",
                )
            )
            latency = value["latency_ms"]
            rows.append(
                (
                    f"{key}: not stored; latency p50/p99 ms",
                    f"{value['not_stored']}; {latency['p50']}/{latency['p99']}",
                    "",
                )
            )
        elif "events_per_cpu_second" in value:
            rows.append((f"{key}: events per CPU-second", f"{value['events_per_cpu_second']}", ""))
        elif "skipped" in value:
            rows.append((f"{key}", f"skipped: {value['skipped']}", ""))
        elif "us_per_event_by_segment" in value:
            segments = ", ".join(f"{s:g}" for s in value["us_per_event_by_segment"])
            rows.append((f"{key}: µs per event by segment", segments, ""))
    rows += [
        (t.what, f"{t.value:g}", f"{t.wanted} {'met' if t.met else 'NOT met'}") for t in targets
    ]
    return rows


if __name__ == "__main__":
    main()
