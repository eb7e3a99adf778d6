"""Traffic of the Kafka bench: paced sshd syslog lines over TCP with brute-force probes among them,
and a reader of the ``alerts`` topic that times each probe's first alert.

- Ordinary lines are sshd logins, sessions and disconnects from 198.51.100.0/24: none is a failed
  authentication, so none feeds the brute-force rule.
- A probe is ``PROBE_LINES`` failed passwords from one fresh address of 203.0.113.0/24, written
  in one go; the builtin ``ssh_brute_force`` rule fires on the tenth. ``Probes.sent`` holds the
  moment the bench wrote that tenth line to the collector's socket, ``Probes.alerted`` the moment
  the bench's own consumer read the first alert for that address from the ``alerts`` topic (both
  ``loop.time()``, so monotonic): the latency is send → alert on the topic, end to end.
- ``stream`` paces by the total since its start (no drift): every ``TICK_S`` it writes the lines
  then due; probe lines count towards the rate. Line timestamps are the current UTC time, so the
  correlator's lateness bound never drops them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaConsumer

from schemas import topics

PROBE_LINES = 10  # the builtin ssh_brute_force rule: ten failures from one address in 5 minutes
BRUTE_TITLE = "SSH brute force from one source address"
MAX_PROBES = 254  # one address of 203.0.113.0/24 each
TICK_S = 0.02
BULK = (
    "Accepted publickey for deploy from 198.51.100.{a} port {p} ssh2",
    "pam_unix(sshd:session): session opened for user deploy by (uid=0)",
    "Received disconnect from 198.51.100.{a} port {p}:11: disconnected by user",
    "pam_unix(sshd:session): session closed for user deploy",
)


@dataclass
class Probes:
    sent: dict[str, float] = field(default_factory=dict)  # address -> tenth line written
    alerted: dict[str, float] = field(default_factory=dict)  # address -> first alert read
    count: int = 0

    def next_address(self) -> str:
        if self.count >= MAX_PROBES:
            raise ValueError(f"at most {MAX_PROBES} probes per run (one address each)")
        self.count += 1
        return f"203.0.113.{self.count}"

    def latencies_ms(self, addresses: list[str]) -> list[float]:
        return sorted(
            (self.alerted[a] - self.sent[a]) * 1000 for a in addresses if a in self.alerted
        )


def _stamp() -> str:
    return f"{datetime.now(UTC):%b %e %H:%M:%S}"


def bulk_line(n: int, stamp: str) -> bytes:
    text = BULK[n % len(BULK)].format(a=n % 250 + 1, p=1024 + n % 60000)
    return f"<38>{stamp} web-{n % 7} sshd[{1000 + n % 30000}]: {text}\n".encode()


def probe_lines(address: str, stamp: str) -> list[bytes]:
    return [
        f"<38>{stamp} bastion-1 sshd[{7000 + i}]: Failed password for root from {address} "
        f"port {40000 + i} ssh2\n".encode()
        for i in range(PROBE_LINES)
    ]


async def stream(
    writer: asyncio.StreamWriter, rate: float, seconds: float, probes: Probes, probe_every_s: float
) -> tuple[int, list[str]]:
    """Write ``rate`` lines a second for ``seconds``, a probe every ``probe_every_s``; the lines
    written and the probe addresses."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    total, sent, addresses = round(rate * seconds), 0, []
    next_probe = start + probe_every_s / 2
    while sent < total:
        now = loop.time()
        stamp, batch, address = _stamp(), [], None
        if now >= next_probe and now < start + seconds - probe_every_s / 2:
            address = probes.next_address()
            batch += probe_lines(address, stamp)
            next_probe += probe_every_s
        due = min(total, int(rate * (now - start))) - sent - len(batch)
        batch += [bulk_line(sent + len(batch) + k, stamp) for k in range(max(0, due))]
        writer.write(b"".join(batch))
        if address is not None:
            probes.sent[address] = loop.time()
            addresses.append(address)
        sent += len(batch)
        await writer.drain()
        await asyncio.sleep(TICK_S)
    return sent, addresses


class AlertReader:
    """Reads ``alerts`` from the start (the broker is the bench's own) and records, per probe
    address, when its first brute-force alert was read."""

    def __init__(self, bootstrap: str, probes: Probes) -> None:
        self._probes = probes
        self._consumer = AIOKafkaConsumer(
            topics.ALERTS, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            now = loop.time()
            for records in batches.values():
                for record in records:
                    alert = orjson.loads(record.value)
                    if alert["rule"]["title"] == BRUTE_TITLE:
                        address = alert["group"].get("source.ip")
                        self._probes.alerted.setdefault(address, now)
