"""`vigie run` as a subprocess: syslog in over TCP and UDP, alerts out over HTTP, tenants apart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.collector.replay import replay
from tests.e2e.harness import all_alerts, api_get, source_totals, wait_until

pytestmark = pytest.mark.e2e

ATTACKER = "203.0.113.7"


def brute_force_log(path: Path) -> int:
    """30 failed logins from one address in two minutes, a success, and scattered noise."""
    lines = []
    for i in range(30):
        user = "root" if i % 3 else f"admin{i}"
        lines.append(
            f"Nov 30 10:{i // 15:02d}:{(i * 4) % 60:02d} web-1 sshd[{4000 + i}]: "
            f"Failed password for {user} from {ATTACKER} port {50000 + i} ssh2"
        )
    lines.append(
        f"Nov 30 10:02:30 web-1 sshd[4100]: Accepted password for deploy from {ATTACKER} port 51000 ssh2"
    )
    for i in range(5):
        lines.append(
            f"Nov 30 11:{i * 10:02d}:00 web-1 sshd[{4200 + i}]: "
            f"Failed password for user{i} from 198.51.100.{i + 1} port 40000 ssh2"
        )
    lines.append("Nov 30 11:59:00 web-1 CRON[99]: (root) CMD (run-parts /etc/cron.hourly)")
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def test_embedded_brute_force_alert_reaches_only_its_tenant(embedded, tmp_path: Path) -> None:
    dep = embedded
    log = tmp_path / "auth.log"
    sent_lines = brute_force_log(log)
    noise = tmp_path / "noise.log"
    noise.write_text("<13>Nov 30 10:00:00 db-1 app: hello\n<13>Nov 30 10:00:01 db-1 app: world\n")

    assert asyncio.run(replay(log, f"tcp://127.0.0.1:{dep.syslog['acme']}")) == sent_lines
    assert asyncio.run(replay(noise, f"udp://127.0.0.1:{dep.syslog['globex']}")) == 2

    wait_until(
        lambda: source_totals(dep, "acme")["received"] == sent_lines
        and sum(v for k, v in source_totals(dep, "acme").items() if k != "received") >= sent_lines,
        timeout=60,
        what="every acme line to be accounted for",
    )
    totals = source_totals(dep, "acme")
    assert totals["parsed"] + totals["failed"] == sent_lines == totals["received"]
    assert source_totals(dep, "globex")["received"] == 2

    alerts = wait_until(
        lambda: [a for a in all_alerts(dep, "acme") if a["group"].get("source.ip") == ATTACKER],
        timeout=60,
        what="a brute-force alert for the attacker",
    )
    brute = [a for a in alerts if "attack.t1110" in a["rule"]["tags"]]
    assert brute, alerts
    assert all(a["tenant"] == "acme" for a in brute)
    assert max(a["count"] for a in brute) >= 10
    for event_id in brute[0]["event_ids"][:5]:
        resp = api_get(dep, "acme", f"/api/v1/events/{event_id}")
        assert resp.status_code == 200, event_id
        assert resp.json()["source"]["ip"] == ATTACKER

    assert all_alerts(dep, "globex") == []
    assert api_get(dep, "globex", f"/api/v1/alerts/{brute[0]['id']}").status_code == 404
    assert {a["id"] for a in brute} <= {a["id"] for a in all_alerts(dep, "analyst")}


def test_embedded_openssh_corpus_is_fully_accounted(embedded, corpus: Path) -> None:
    """Real sshd logs: every line is counted, and the attackers show up as alert groups."""
    dep = embedded
    log = corpus / "syslog" / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
    lines = sum(1 for _ in log.open("rb"))
    assert lines == 2000
    assert asyncio.run(replay(log, f"tcp://127.0.0.1:{dep.syslog['acme']}")) == lines

    def accounted() -> bool:
        totals = source_totals(dep, "acme")
        return totals["received"] == lines and totals["parsed"] + totals["failed"] == lines

    wait_until(accounted, timeout=120, what="all 2,000 lines in /api/v1/sources")
    alerts = wait_until(
        lambda: [a for a in all_alerts(dep, "acme") if "attack.t1110" in a["rule"]["tags"]],
        timeout=60,
        what="brute-force alerts",
    )
    attackers = {a["group"]["source.ip"] for a in alerts if "source.ip" in a["group"]}
    assert attackers, alerts
    sample = alerts[0]
    event = api_get(dep, "acme", f"/api/v1/events/{sample['event_ids'][0]}")
    assert event.status_code == 200
    assert event.json()["source"]["ip"] == sample["group"]["source.ip"]
    assert all_alerts(dep, "globex") == []
