"""Every exception hotpapers raises on purpose, in one hierarchy.

    HotpapersError                  the base; str(exc) is ONE line meant for a person
    ├── UserError (ValueError)      bad input: what was wrong and what to type instead
    │   ├── BadDateError            not a date / not a real date
    │   ├── UnknownCategoryError    not an arXiv category (suggests the closest)
    │   ├── UnknownSourceError      not a social source name
    │   ├── UsageError              a chat command or CLI option that doesn't parse
    │   ├── ArchiveFormatError      a blog post not in the Hot Papers format (FILE:LINE: ...)
    │   └── NoAnnouncement          arXiv announces nothing that day (weekends)
    ├── ConfigurationError          a missing, malformed or rejected setting or credential
    │   └── MissingCredentials      a source needs credentials that are not configured
    ├── SourceError                 an outside data source failed (after its retries)
    │   ├── ArxivUnavailable        arXiv (RSS, API, OAI-PMH)
    │   │   └── BadResponse         arXiv answered with something unreadable
    │   ├── SourceUnavailable       a social source; the digest is built from the others
    │   ├── SourceOutOfReach        a source that cannot cover the day (X: 7 days back):
    │   │                           a coverage note, never a failure
    │   └── HttpError               a social source refused a request (4xx other than 429)
    ├── PlatformUnavailable         a chat platform can't be reached now (network, 5xx)
    ├── BuildError                  no digest could be built (arXiv failed, no listing)
    │   ├── EmptyListing            the day's listing is empty: nothing was announced
    │   └── NothingBuilt            no social source answered: nothing usable, nothing stored
    └── DeliveryError               a chat message could not be delivered
        ├── PermanentDeliveryError  the channel is gone or the bot lost access: pause it
        └── TransientDeliveryError  may pass (5xx, timeouts, rate limits): retry later
            ├── InDoubtDeliveryError  the send may have landed: settle by reading back
            └── ClaimLost           this poster's lease on the thread ran out: stop sending

`exit_code` is what the CLI exits with when one reaches it: 2 for what the user can fix
by typing something else (input, configuration), 1 for failures of the outside world.
The CLI turns any of them into one line and that exit code in one place
(`bot.cli.app.run`).
"""

from __future__ import annotations

from typing import Any


class HotpapersError(Exception):
    """The base of every hotpapers error. The message is one line for a person."""

    exit_code = 1

    def one_line(self) -> str:
        text = str(self).strip()
        return (text.splitlines()[0] if text else type(self).__name__)[:500]


# --- what the user typed ----------------------------------------------------------------
class UserError(HotpapersError, ValueError):
    """Bad input; the message says what was wrong and what to type instead."""

    exit_code = 2


class BadDateError(UserError):
    """User input that is not a date; the message says what to type instead."""


class UnknownCategoryError(UserError):
    """A category the taxonomy doesn't know; the message suggests the closest ones."""


class UnknownSourceError(UserError):
    """A source name we don't know; the message lists the ones we do."""


class UsageError(UserError):
    """A command (chat or CLI) that doesn't parse; the message is the one-line answer."""


class ArchiveFormatError(UserError):
    """A post that is not in the Hot Papers format; str is one line `FILE:LINE: problem`."""

    def __init__(self, name: str, line: int, problem: str) -> None:
        super().__init__(f"{name}:{line}: {problem}")
        self.name = name
        self.line = line
        self.problem = problem


class NoAnnouncement(UserError):
    """arXiv announces nothing for that date (weekends)."""


# --- configuration ----------------------------------------------------------------------
class ConfigurationError(HotpapersError):
    """A missing, malformed or rejected setting or credential; the message names it and
    says what to set (never its secret value)."""

    exit_code = 2


class MissingCredentials(ConfigurationError):
    """A source needs credentials that are not configured; it is skipped with a notice."""


# --- the outside world ------------------------------------------------------------------
class SourceError(HotpapersError):
    """An outside data source could not answer (after its retries)."""


class ArxivUnavailable(SourceError):
    """arXiv could not answer (after retries); the message is one line for the user."""


class BadResponse(ArxivUnavailable):
    """arXiv answered, but with something that isn't the expected XML/feed."""


class SourceUnavailable(SourceError):
    """A social source failed (after its retries); the digest is built from the others."""


class SourceOutOfReach(SourceError):
    """A source that cannot cover the day at all (X's recent search reaches back 7 days):
    the message is a coverage note ("X's recent search reaches back 7 days: 2021-08-09
    is out of reach"). The source was not asked, so it is never listed as failed."""


class HttpError(SourceError):
    """A non-retryable answer (4xx other than 429); `status` and a short `reason`."""

    def __init__(self, status: int, reason: str, body: Any = None) -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status
        self.body = body


class PlatformUnavailable(HotpapersError):
    """A chat platform can't be reached right now (its API doesn't answer, or answers
    5xx): try again later. Unlike a ConfigurationError, waiting may fix it."""


class BuildError(HotpapersError):
    """The digest could not be built (arXiv failed, a day without announcement); one line."""


class EmptyListing(BuildError):
    """The day's listing is empty: arXiv announced nothing that day. Nothing is stored."""


class NothingBuilt(BuildError):
    """No social source answered (or none could cover the day): nothing usable was
    built, so nothing is stored and a stored digest of the day is kept."""


# --- delivery ---------------------------------------------------------------------------
class DeliveryError(HotpapersError):
    """A message could not be delivered."""


class PermanentDeliveryError(DeliveryError):
    """The channel is gone or the bot lost access: pause the channel, don't retry."""


class TransientDeliveryError(DeliveryError):
    """A failure that may pass (5xx, timeouts, rate limits not absorbed): retry later."""


class InDoubtDeliveryError(TransientDeliveryError):
    """The send may have reached the platform (a 5xx or a dropped connection after the
    request went out): read the platform back before sending again."""


class ClaimLost(TransientDeliveryError):
    """The poster's lease on a thread could not be renewed in time (or another poster
    took it over after it expired): it sends nothing more to that thread."""


__all__ = [
    "ArchiveFormatError",
    "ArxivUnavailable",
    "BadDateError",
    "BadResponse",
    "BuildError",
    "ClaimLost",
    "ConfigurationError",
    "DeliveryError",
    "EmptyListing",
    "HotpapersError",
    "HttpError",
    "InDoubtDeliveryError",
    "MissingCredentials",
    "NoAnnouncement",
    "NothingBuilt",
    "PermanentDeliveryError",
    "PlatformUnavailable",
    "SourceError",
    "SourceOutOfReach",
    "SourceUnavailable",
    "TransientDeliveryError",
    "UnknownCategoryError",
    "UnknownSourceError",
    "UsageError",
    "UserError",
]
