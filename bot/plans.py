"""Thread plans, pure: what a thread delivers, decided once at its first attempt.

A plan (`bot.models.ThreadPlan`) names the view (categories and filters, with a hash to
compare views), what the parent says (heading, notes) and the arXiv ids in order. Every
message of the thread is keyed by (digest key, platform, channel, thread, part), part
"parent" or the paper's arXiv id: never a position, so a view that changes between two
attempts can neither repeat a paper nor skip one.

Digest keys are strings: a day is "2021-08-06"; a window ("2021-W31", "2021-08") can use
the same machinery. Threads of a channel: "1" the first (the daily post or the first
`hotpapers post`), "2", "3" ... made by `post --again`, "hot:<id>" answers to commands.
`choose_thread` decides which thread a poster delivers (`Mode`), `refusal` is the one
line of `hotpapers post` on a day a channel already has with another view.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from enum import StrEnum

from bot.filters import view
from bot.models import PARENT, Delivery, Digest, Subscription, ThreadKey, ThreadPlan, ViewSpec
from bot.subscriptions import describe_view

FIRST_THREAD = "1"


class Mode(StrEnum):
    DAILY = "daily"  # the daily post and `post --subscribed`: thread "1", as planned
    POST = "post"  # `hotpapers post`: the thread with this view, or a refusal
    AGAIN = "again"  # `hotpapers post --again`: a new thread with this view


class PlanMismatch(ValueError):
    """The digest at hand no longer holds a paper the plan names (one line)."""


def digest_key(date: dt.date) -> str:
    return date.isoformat()


def key_date(key: str) -> dt.date | None:
    """The day a digest key names (None for a window key)."""
    try:
        return dt.date.fromisoformat(key)
    except ValueError:
        return None


def view_spec(sub: Subscription) -> ViewSpec:
    return ViewSpec(
        categories=tuple(sorted(sub.categories)),
        include_keywords=tuple(sorted(sub.include_keywords)),
        exclude_keywords=tuple(sorted(sub.exclude_keywords)),
        include_authors=tuple(sorted(sub.include_authors)),
        exclude_authors=tuple(sorted(sub.exclude_authors)),
        min_score=sub.min_score, max_papers=sub.max_papers or None,
    )


def view_hash(spec: ViewSpec) -> str:
    raw = json.dumps(asdict(spec), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def is_post_thread(thread: str) -> bool:
    """A thread made by the daily post or `hotpapers post` (not a command's answer)."""
    return thread.isdigit()


def next_thread(threads: list[str]) -> str:
    numbers = [int(t) for t in threads if is_post_thread(t)]
    return str(max(numbers, default=0) + 1)


def make_plan(key: str, sub: Subscription, digest: Digest, *, thread: str, origin: str,
              notes: tuple[str, ...] = ()) -> ThreadPlan:
    """The plan of a new thread: `sub`'s view of `digest`, as of now."""
    spec = view_spec(sub)
    shown = view(digest, sub)
    return ThreadPlan(
        digest_key=key, platform=sub.platform, channel=sub.channel, thread=thread,
        view=spec, view_hash=view_hash(spec),
        parts=tuple(p.paper.arxiv_id for p in shown.papers), heading=shown.heading,
        notes=notes, origin=origin, workspace=sub.workspace,
    )


def answer_plan(key: str, platform: str, channel: str, workspace: str, shown: Digest, *,
                thread: str, notes: tuple[str, ...] = ()) -> ThreadPlan:
    """The plan of a command's answer: `shown` is already the view to post."""
    spec = ViewSpec(categories=tuple(sorted(shown.categories_filter)))
    return ThreadPlan(
        digest_key=key, platform=platform, channel=channel, thread=thread, view=spec,
        view_hash=view_hash(spec), parts=tuple(p.paper.arxiv_id for p in shown.papers),
        heading=shown.heading, notes=notes, origin="hot", workspace=workspace,
    )


def plan_view(digest: Digest, plan: ThreadPlan) -> Digest:
    """`digest` as the plan shows it: the planned papers in planned order, numbered
    from 1, with the plan's categories. Raises PlanMismatch when a paper is missing."""
    by_id = {p.paper.arxiv_id: p for p in digest.papers}
    missing = [i for i in plan.parts if i not in by_id]
    if missing:
        raise PlanMismatch(
            f"the stored digest of {plan.digest_key} no longer lists {missing[0]}, which "
            f"thread {plan.thread} of {plan.target} planned; post it anew with --again")
    shown = digest.with_papers(tuple(by_id[i] for i in plan.parts))
    categories = plan.view.categories if plan.view is not None else ()
    return replace(shown, categories_filter=categories)


def delivery_key(key: str, platform: str, channel: str, thread: str, part: str) -> str:
    """The idempotency key of one message (22 chars: fits Discord's 25-char nonce)."""
    raw = f"{key}|{platform}|{channel}|{thread}|{part}".encode()
    return "hp" + hashlib.blake2b(raw, digest_size=10).hexdigest()


def describe_plan(plan: ThreadPlan) -> str:
    """`6 papers (cs.CV)`: what a thread holds, for one-line answers."""
    if plan.view is None:
        return "a thread posted before this version kept plans"
    n = len(plan.parts)
    count = "no papers" if n == 0 else f"{n} paper" + ("" if n == 1 else "s")
    return f"{count} ({describe_view(plan.view)})"


def part_label(plan: ThreadPlan, part: str) -> str:
    """`parent`, `paper 3 (2108.01234)`: a part as a person reads it."""
    if part == PARENT:
        return "the parent"
    if part in plan.parts:
        return f"paper {plan.parts.index(part) + 1} ({part})"
    return f"paper {part}"


def finished(plan: ThreadPlan, rows: Mapping[str, Delivery]) -> bool:
    """Every part of the plan is recorded sent."""
    return all(rows.get(p) is not None and rows[p].status == "sent" for p in plan.all_parts)


def choose_thread(mode: Mode, fresh: ThreadPlan, threads: list[ThreadPlan],
                  rows: Mapping[ThreadKey, Mapping[str, Delivery]]
                  ) -> tuple[ThreadPlan, bool] | str:
    """The thread of a channel to deliver (and whether `fresh`, its plan, is new), or a
    one-line refusal: see `Mode`. `threads` are the channel's stored post threads."""
    def done(p: ThreadPlan) -> bool:
        return finished(p, rows.get((p.digest_key, p.platform, p.channel, p.thread), {}))

    same = [p for p in threads if p.view_hash == fresh.view_hash and not p.legacy]
    if mode is Mode.DAILY:
        first = next((p for p in threads if p.thread == FIRST_THREAD), None)
        return (first, False) if first is not None else (fresh, True)
    if mode is Mode.POST:
        if same:
            unfinished = [p for p in same if not done(p)]
            return ((unfinished or same)[0], False)
        if not threads:
            return fresh, True
        sub = Subscription(fresh.platform, fresh.channel)
        return refusal(threads[-1], sub)
    unfinished = [p for p in same if not done(p)]
    if unfinished:
        return unfinished[0], False
    thread = next_thread([p.thread for p in threads])
    return replace(fresh, thread=thread, origin=Mode.AGAIN.value), True


def refusal(existing: ThreadPlan, sub: Subscription) -> str:
    """The one line `hotpapers post` answers when the day is there with another view."""
    return (f"{existing.digest_key} is already posted to {sub.target} as "
            f"{describe_plan(existing)}; add --again to post this view as a new thread")
