"""Platform-neutral chat commands: parse, validate, answer.

One grammar for every platform. Slack sends everything through `/hot <text>`;
Discord has `/hot`, `/subscribe`, `/unsubscribe`, `/subscriptions`. Both arrive here as
a `Command` and leave as an `Answer`; bad input gets a one-line answer that says what
to type instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.arxiv.days import check_announcement_day
from bot.arxiv.listing import announced
from bot.arxiv.taxonomy import taxonomy
from bot.chat import check_channel
from bot.dates import LATEST, looks_like_date, looks_like_window, parse_date
from bot.errors import BadDateError, NoAnnouncement, UnknownCategoryError, UsageError
from bot.filters import by_categories, view
from bot.guard import MAX_CATEGORIES, MAX_TEXT, view_key
from bot.lookup import resolve_window, window_for
from bot.models import Answer, Command, Digest, Subscription
from bot.provenance import failed_build
from bot.render.common import paper_count
from bot.render.links import day_url
from bot.store import Store
from bot.subscriptions import (
    CADENCES,
    cadence_words,
    cap,
    category_code,
    describe,
    parse_subscription_words,
    shown,
)

if TYPE_CHECKING:
    from bot.core import Core

SUBCOMMANDS = ("subscribe", "unsubscribe", "subscriptions", "help", "categories")

HELP = """*Hot Papers* — the arXiv papers everyone is talking about.
`/hot` the latest digest (this channel's categories if it has a subscription)
`/hot 2021-08-06` a past day · `/hot yesterday` · `/hot 2021-08-06 cs.CV` one or more categories
`/hot 2021-08-06 all` everything, ignoring this channel's subscription
`/hot week` · `/hot month` the top papers of the latest week or month · `/hot 2021-W31` \
`/hot 2021-08` a past one (each paper once, with its best day)
`/hot subscribe cs.LG stat.ML` daily digest here for these categories
    (add `weekly`: the past week every Monday, `monthly`: the past month on its first
    announcement day, instead of or with `daily`)
    (`cs` = all of cs; no category = everything)
    filters: `keyword:diffusion` `-keyword:survey` `author:Hinton` `-author:Doe` `min:100` `max:10`
`/hot unsubscribe cs.LG` stop one category · `/hot unsubscribe` stop the daily digest here
`/hot subscriptions` what this channel gets · `/hot categories vision` find category codes"""


CHANGES = ("subscribe", "unsubscribe")  # the commands that change a channel
DENIED = ("Only the people who manage this channel may change its daily Hot Papers; ask one "
          "of them, or type /hot subscriptions to see what it gets.")


def _error(text: str) -> Answer:
    return Answer(text=text, ephemeral=True, is_error=True)


def changes_channel(name: str, args: Sequence[str]) -> bool:
    """Whether a command would change the channel's subscription (so the adapter has to
    find out whether the user may: `Command.can_manage_channel`)."""
    name = name.strip().lower().lstrip("/")
    if name == "hot" and args:
        name = args[0].lower()
    return name in CHANGES


async def handle(core: Core, command: Command) -> Answer:
    """Answer one command."""
    refused = await core.limits.refusal(command)
    if refused is not None:
        return _error(refused)
    length = len(" ".join(command.args))
    if length > MAX_TEXT:
        return _error(f"That command is {length} characters long; keep it to {MAX_TEXT} "
                      "characters (type /hot help for the forms).")
    name, args = command.name.strip().lower().lstrip("/"), list(command.args)
    if name == "hot" and args and args[0].lower() in SUBCOMMANDS:
        name, args = args[0].lower(), args[1:]
    try:
        if name == "hot":
            return await _hot(core, command, args)
        if name == "help":
            return Answer(text=HELP, ephemeral=True)
        if name == "categories":
            return _categories(" ".join(args))
        if name == "subscriptions":
            return await _subscriptions(core.store, command)
        if name in CHANGES:
            if not command.can_manage_channel:
                return _error(command.denied or DENIED)
            if name == "subscribe":  # the CLI's check of a target (removing needs none)
                check_channel(command.platform, command.channel)
            if name == "subscribe":
                return await _subscribe(core.store, command, args)
            return await _unsubscribe(core.store, command, args)
    except (UsageError, BadDateError, UnknownCategoryError) as exc:
        return _error(str(exc))
    return _error(f"Unknown command '{command.name}'; type /hot help to see what I understand.")


async def _hot(core: Core, command: Command, args: Sequence[str]) -> Answer:
    date_word: str | None = None
    window_word: str | None = None
    show_all = False
    categories: list[str] = []
    for word in args:
        low = word.lower()
        if low in ("all", "everything"):
            show_all = True
        elif looks_like_window(word) or looks_like_date(word):
            if date_word is not None or window_word is not None:
                raise UsageError(
                    f"Two dates ('{date_word or window_word}' and '{word}'); ask for one day "
                    "or one window, e.g. /hot 2021-08-06 or /hot 2021-W31"
                )
            if looks_like_window(word):
                window_word = word
            else:
                date_word = word
        else:
            try:
                code = category_code(word)
            except UnknownCategoryError as exc:
                if "." in word or taxonomy().suggest(word):
                    raise
                raise UsageError(
                    f"I don't understand '{shown(word)}'; type /hot help, or "
                    "/hot 2021-08-06 cs.CV") from exc
            if code not in categories:
                categories.append(code)
    cap("categories", categories, MAX_CATEGORIES)
    if window_word is not None:
        window = await resolve_window(core.store, window_word)
        digest, notes = await window_for(core.store, core.settings, window)
    else:
        digest, notes = await digest_for(core, date_word)
    full = digest
    if categories:
        digest = by_categories(digest, categories)
    elif not show_all:
        sub = await core.store.get_subscription(command.platform, command.channel)
        if sub is not None:
            digest = view(digest, sub)
    if not digest.papers and full.papers:
        scope = ", ".join(categories) if categories else "this channel's subscription"
        when = f"in {full.period}" if full.window else f"on {full.period}"
        return Answer(
            text=(f"No papers for {scope} {when} (the full digest has "
                  f"{paper_count(len(full.papers))}); type /hot {full.key} all to see it."),
            ephemeral=True,
            notes=notes,
        )
    key = view_key(command, digest)
    earlier = core.recent.earlier(key)
    if earlier is not None:
        link, ago = earlier
        if not link:
            return Answer(text=(f"{_summary(digest)}: it is being posted in this channel right "
                                "now; it will be in that thread in a moment."), ephemeral=True)
        return Answer(text=(f"{_summary(digest)} was posted in this channel {_ago(ago)}: "
                            f"{link}"), ephemeral=True)
    core.recent.claim(key)
    return Answer(text=_summary(digest), digest=digest, notes=notes, view_key=key)


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "a moment ago"
    return f"{minutes} minute{'s' if minutes != 1 else ''} ago"


async def digest_for(
    core: Core, date_word: str | None, *, ask: str = "/hot"
) -> tuple[Digest, tuple[str, ...]]:
    """The digest a user asks for (`2021-08-06`, `yesterday`, `latest`, None = latest),
    built on demand when the core has a builder. Raises UsageError (one line) when
    there is none, saying why when it is known (no announcement, a failed build and its
    next try) and naming the nearest dates that have one and how to `ask` for them."""
    wanted = parse_date(date_word or LATEST)
    store = core.store
    if wanted == LATEST:
        latest = await store.latest_date()
        if latest is None:
            raise UsageError(NO_DIGEST_YET)
        date = latest
    else:
        assert isinstance(wanted, dt.date)
        date = wanted
        if date > dt.datetime.now(dt.UTC).date():
            raise UsageError(f"{date} is in the future; ask for latest or a past date.")
    try:
        digest, notes = await core.stored_or_built(date)
    except Exception as exc:  # a failed on-demand build is reported, not raised
        if isinstance(exc, UsageError | BadDateError):
            raise
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(await missing_date(store, date, ask, failure=reason)) from exc
    if digest is None:
        raise UsageError(await missing_date(store, date, ask))
    if core.settings.public_url:
        digest = dataclasses.replace(digest, web_url=day_url(core.settings.public_url,
                                                               digest.date))
    return digest, notes


NO_DIGEST_YET = ("No digest stored yet: the first comes with the next daily post (or an "
                 "admin runs hotpapers build, or hotpapers import PATH for the blog archive).")


async def missing_date(store: Store, date: dt.date, ask: str, *, failure: str = "") -> str:
    """Why there is no digest of `date`, as far as it is known, and where to look
    instead. Only the calendar or arXiv's own feed ever say "nothing was announced": a
    weekday whose build failed is a failed build, not a day without announcements."""
    why = await _why_missing(store, date, failure)
    near = await store.nearest_dates(date, 2)
    if not near:
        return (f"No digest for {date}{why}; no digest is stored yet: an admin can run "
                "hotpapers build or hotpapers import PATH.")
    return (f"No digest for {date}{why or ' stored yet'}; nearest: "
            f"{' and '.join(str(d) for d in near)}. Try {ask} {near[-1]}")


async def _why_missing(store: Store, date: dt.date, failure: str) -> str:
    try:
        check_announcement_day(date)
    except NoAnnouncement:
        return f" (arXiv announces nothing on {date:%A}s)"
    if await announced(store, date) is False:
        return " (arXiv's feed showed no announcement that day)"
    failed = await failed_build(store, date)
    if failed is not None:
        return f" ({failed.line()})"
    if failure:
        return f" (building it failed: {failure})"
    return ""


def _summary(digest: Digest) -> str:
    scope = f" in {', '.join(digest.categories_filter)}" if digest.categories_filter else ""
    return f"{digest.heading}: {paper_count(len(digest.papers))}{scope}"


def _categories(query: str) -> Answer:
    found = taxonomy().search(query)
    if not found:
        return _error(f"No arXiv category matches '{query}'; try /hot categories learning")
    lines = [f"`{c.code}` {c.name}" for c in found[:40]]
    more = f"\n… and {len(found) - 40} more; narrow it: /hot categories <word>" \
        if len(found) > 40 else ""
    return Answer(text="\n".join(lines) + more, ephemeral=True)


async def _subscriptions(store: Store, command: Command) -> Answer:
    sub = await store.get_subscription(command.platform, command.channel)
    if sub is None:
        return Answer(
            text=("This channel has no subscription; type /hot subscribe cs.LG to get the "
                  "daily digest for a category (or /hot subscribe for everything)."),
            ephemeral=True,
        )
    return Answer(text=f"This channel gets the {cadence_words(sub)} Hot Papers for "
                       f"{describe(sub)}.", ephemeral=True)


async def _subscribe(store: Store, command: Command, args: Sequence[str]) -> Answer:
    old = await store.get_subscription(command.platform, command.channel)
    base = old or Subscription(
        platform=command.platform, channel=command.channel, workspace=command.workspace
    )
    if old is not None and old.paused:
        base = dataclasses.replace(base, paused=False, pause_reason="")
    new = await store.save_subscription(parse_subscription_words(args, base))
    return Answer(text=f"This channel now gets the {cadence_words(new)} Hot Papers for "
                       f"{describe(new)}.", ephemeral=True)


async def _unsubscribe(store: Store, command: Command, args: Sequence[str]) -> Answer:
    old = await store.get_subscription(command.platform, command.channel)
    if old is None:
        return _error("This channel has no subscription; nothing to stop. "
                      "Type /hot subscribe cs.LG to start one.")
    words = [a for a in args if a.lower() != "all"]
    stop = [w.lower() for w in words if w.lower() in CADENCES]
    words = [w for w in words if w.lower() not in CADENCES]
    if stop and not words:  # `/hot unsubscribe weekly`: that cadence only
        kept = tuple(c for c in old.cadences if c not in stop)
        if kept == old.cadences:
            return _error(f"This channel doesn't get the {' or '.join(stop)} Hot Papers; it "
                          f"gets the {cadence_words(old)} ones. Type /hot subscriptions.")
        if kept:
            new = await store.save_subscription(dataclasses.replace(old, cadences=kept))
            return Answer(text=f"This channel now gets the {cadence_words(new)} Hot Papers "
                               f"for {describe(new)}.", ephemeral=True)
    if not words:
        await store.delete_subscription(command.platform, command.channel)
        return Answer(text=f"This channel no longer gets the {cadence_words(old)} Hot Papers.",
                      ephemeral=True)
    tax = taxonomy()
    drop = {w if tax.is_archive(w) else tax.canonical(w) for w in words}
    missing = drop - set(old.categories)
    if missing:
        return _error(
            f"This channel doesn't follow {', '.join(sorted(missing))}; it follows "
            f"{describe(old)}. Type /hot unsubscribe to stop everything."
        )
    left = tuple(c for c in old.categories if c not in drop)
    if not left:
        await store.delete_subscription(command.platform, command.channel)
        return Answer(text=("That was the last category: this channel no longer gets the "
                            f"{cadence_words(old)} Hot Papers."), ephemeral=True)
    new = await store.save_subscription(dataclasses.replace(old, categories=left))
    return Answer(text=f"This channel now gets the {cadence_words(new)} Hot Papers for "
                       f"{describe(new)}.", ephemeral=True)
