"""What a fan-out did, per channel and in all (value types: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

BUSY = "being posted by another process"


@dataclass(frozen=True, slots=True)
class ChannelReport:
    """What happened in one channel. `status`: "done" (every planned message is
    there), "paused" (permanent failure), "failed" (transient: left for a later run),
    "busy" (another process holds the thread), "in-doubt" (a webhook send may have
    landed: not resent), "refused" (already posted with another view), "skipped"
    (paused subscription or no adapter for the platform)."""

    platform: str
    channel: str
    status: str
    total: int = 0  # messages the thread has (parent + papers)
    sent: int = 0  # sent in this run
    already: int = 0  # found sent in the ledger
    settled: int = 0  # in doubt, found on the platform
    detail: str = ""
    thread: str = ""

    @property
    def target(self) -> str:
        return f"{self.platform}:{self.channel}"

    @property
    def unfinished(self) -> bool:
        """A later run has something to do here."""
        return self.status in ("failed", "busy", "in-doubt")


@dataclass(frozen=True, slots=True)
class PublishReport:
    key: str
    channels: tuple[ChannelReport, ...]

    def count(self, status: str) -> int:
        return sum(1 for c in self.channels if c.status == status)

    @property
    def complete(self) -> bool:
        """Nothing left for a later run (paused, skipped, refused channels don't count)."""
        return not any(c.unfinished for c in self.channels)

    @property
    def sent(self) -> int:
        return sum(c.sent for c in self.channels)

    def summary(self) -> str:
        parts = [f"{self.count('done')} done", f"{self.sent} messages sent"]
        for status in ("failed", "busy", "in-doubt", "refused", "paused", "skipped"):
            if self.count(status):
                parts.append(f"{self.count(status)} {status}")
        return f"{self.key}: " + ", ".join(parts)
