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

from bot.arxiv.taxonomy import taxonomy
from bot.dates import LATEST, looks_like_date, parse_date
from bot.errors import BadDateError, UnknownCategoryError, UsageError
from bot.filters import by_categories, view
from bot.models import Answer, Command, Digest, Subscription, ViewSpec
from bot.plans import describe_view
from bot.render.common import paper_count
from bot.store import Store

if TYPE_CHECKING:
    from bot.core import Core

SUBCOMMANDS = ("subscribe", "unsubscribe", "subscriptions", "help", "categories")
FILTER_KEYS = {
    "keyword": "include_keywords",
    "-keyword": "exclude_keywords",
    "author": "include_authors",
    "-author": "exclude_authors",
}

HELP = """*Hot Papers* — the arXiv papers everyone is talking about.
`/hot` the latest digest (this channel's categories if it has a subscription)
`/hot 2021-08-06` a past day · `/hot yesterday` · `/hot 2021-08-06 cs.CV` one or more categories
`/hot 2021-08-06 all` everything, ignoring this channel's subscription
`/hot subscribe cs.LG stat.ML` daily digest here for these categories
    (`cs` = all of cs; no category = everything)
    filters: `keyword:diffusion` `-keyword:survey` `author:Hinton` `-author:Doe` `min:100` `max:10`
`/hot unsubscribe cs.LG` stop one category · `/hot unsubscribe` stop the daily digest here
`/hot subscriptions` what this channel gets · `/hot categories vision` find category codes"""


def _error(text: str) -> Answer:
    return Answer(text=text, ephemeral=True, is_error=True)


async def handle(core: Core, command: Command) -> Answer:
    """Answer one command."""
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
        if name in ("subscribe", "unsubscribe"):
            if not command.can_manage_channel:
                return _error(
                    "Changing this channel's subscription needs the Manage Channels "
                    "permission; ask a channel admin, or type /hot subscriptions to see it."
                )
            if name == "subscribe":
                return await _subscribe(core.store, command, args)
            return await _unsubscribe(core.store, command, args)
    except (UsageError, BadDateError, UnknownCategoryError) as exc:
        return _error(str(exc))
    return _error(f"Unknown command '{command.name}'; type /hot help to see what I understand.")


async def _hot(core: Core, command: Command, args: Sequence[str]) -> Answer:
    date_word: str | None = None
    show_all = False
    categories: list[str] = []
    for word in args:
        low = word.lower()
        if low in ("all", "everything"):
            show_all = True
        elif looks_like_date(word):
            if date_word is not None:
                raise UsageError(
                    f"Two dates ('{date_word}' and '{word}'); ask for one day, e.g. /hot 2021-08-06"
                )
            date_word = word
        else:
            try:
                taxonomy().expand(word)
            except UnknownCategoryError as exc:
                if "." in word or taxonomy().suggest(word):
                    raise
                raise UsageError(
                    f"I don't understand '{word}'; type /hot help, or /hot 2021-08-06 cs.CV"
                ) from exc
            categories.append(word)
    digest, notes = await digest_for(core, date_word)
    date = digest.date
    full = digest
    if categories:
        digest = by_categories(digest, categories)
    elif not show_all:
        sub = await core.store.get_subscription(command.platform, command.channel)
        if sub is not None:
            digest = view(digest, sub)
    if not digest.papers and full.papers:
        scope = ", ".join(categories) if categories else "this channel's subscription"
        return Answer(
            text=(f"No papers for {scope} on {date} (the full digest has "
                  f"{paper_count(len(full.papers))}); type /hot {date} all to see it."),
            ephemeral=True,
            notes=notes,
        )
    return Answer(text=_summary(digest), digest=digest, notes=notes)


async def digest_for(
    core: Core, date_word: str | None, *, ask: str = "/hot"
) -> tuple[Digest, tuple[str, ...]]:
    """The digest a user asks for (`2021-08-06`, `yesterday`, `latest`, None = latest),
    built on demand when the core has a builder. Raises UsageError (one line) when
    there is none, naming the nearest dates that have one and how to `ask` for them."""
    wanted = parse_date(date_word or LATEST)
    store = core.store
    if wanted == LATEST:
        latest = await store.latest_date()
        if latest is None:
            raise UsageError("No digest has been stored yet; try again after the next daily post.")
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
        raise UsageError(f"{await _missing_date(store, date, ask)} (building it failed: {reason})")\
            from exc
    if digest is None:
        raise UsageError(await _missing_date(store, date, ask))
    return digest, notes


def _summary(digest: Digest) -> str:
    scope = f" in {', '.join(digest.categories_filter)}" if digest.categories_filter else ""
    return f"{digest.heading}: {paper_count(len(digest.papers))}{scope}"


async def _missing_date(store: Store, date: dt.date, ask: str) -> str:
    near = await store.nearest_dates(date, 2)
    if not near:
        return f"No digest for {date}, and none stored yet."
    return (f"No digest for {date} (arXiv announces nothing on some days); nearest: "
            f"{' and '.join(str(d) for d in near)}. Try {ask} {near[-1]}")


def _categories(query: str) -> Answer:
    found = taxonomy().search(query)
    if not found:
        return _error(f"No arXiv category matches '{query}'; try /hot categories learning")
    lines = [f"`{c.code}` {c.name}" for c in found[:40]]
    more = f"\n… and {len(found) - 40} more; narrow it: /hot categories <word>" \
        if len(found) > 40 else ""
    return Answer(text="\n".join(lines) + more, ephemeral=True)


def parse_subscription_words(
    words: Sequence[str], base: Subscription
) -> Subscription:
    """Apply `cs.LG stat.ML keyword:diffusion -author:Doe min:100 max:10` to `base`:
    categories and filters are added, min/max replaced."""
    tax = taxonomy()
    cats = list(base.categories)
    lists: dict[str, list[str]] = {f: list(getattr(base, f)) for f in FILTER_KEYS.values()}
    min_score, max_papers = base.min_score, base.max_papers
    for word in words:
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and key in FILTER_KEYS:
            if not value:
                raise UsageError(f"'{word}' has no value; type it like {key}:diffusion")
            target = lists[FILTER_KEYS[key]]
            if value not in target:
                target.append(value)
        elif sep and key in ("min", "max"):
            if not value.isdigit():
                raise UsageError(f"'{word}' needs a whole number, like {key}:10")
            if key == "min":
                min_score = int(value)
            else:
                max_papers = int(value) or None
        elif sep:
            raise UsageError(
                f"Unknown filter '{key}:'; use keyword:, -keyword:, author:, -author:, min: or max:"
            )
        else:
            code = word if tax.is_archive(word) else tax.canonical(word)
            if code not in cats:
                cats.append(code)
    return dataclasses.replace(
        base,
        categories=tuple(cats),
        min_score=min_score,
        max_papers=max_papers,
        include_keywords=tuple(lists["include_keywords"]),
        exclude_keywords=tuple(lists["exclude_keywords"]),
        include_authors=tuple(lists["include_authors"]),
        exclude_authors=tuple(lists["exclude_authors"]),
    )


def describe(sub: Subscription) -> str:
    """One line: what a subscription delivers."""
    what = describe_view(ViewSpec(
        categories=sub.categories, include_keywords=sub.include_keywords,
        exclude_keywords=sub.exclude_keywords, include_authors=sub.include_authors,
        exclude_authors=sub.exclude_authors, min_score=sub.min_score,
        max_papers=sub.max_papers),
        extra=(f"PAUSED ({sub.pause_reason or 'delivery failed'})",) if sub.paused else ())
    return what


async def _subscriptions(store: Store, command: Command) -> Answer:
    sub = await store.get_subscription(command.platform, command.channel)
    if sub is None:
        return Answer(
            text=("This channel has no subscription; type /hot subscribe cs.LG to get the "
                  "daily digest for a category (or /hot subscribe for everything)."),
            ephemeral=True,
        )
    return Answer(text=f"This channel gets the daily Hot Papers for {describe(sub)}.",
                  ephemeral=True)


async def _subscribe(store: Store, command: Command, args: Sequence[str]) -> Answer:
    old = await store.get_subscription(command.platform, command.channel)
    base = old or Subscription(
        platform=command.platform, channel=command.channel, workspace=command.workspace
    )
    if old is not None and old.paused:
        base = dataclasses.replace(base, paused=False, pause_reason="")
    new = await store.save_subscription(parse_subscription_words(args, base))
    return Answer(text=f"This channel now gets the daily Hot Papers for {describe(new)}.",
                  ephemeral=True)


async def _unsubscribe(store: Store, command: Command, args: Sequence[str]) -> Answer:
    old = await store.get_subscription(command.platform, command.channel)
    if old is None:
        return _error("This channel has no subscription; nothing to stop. "
                      "Type /hot subscribe cs.LG to start one.")
    words = [a for a in args if a.lower() != "all"]
    if not words:
        await store.delete_subscription(command.platform, command.channel)
        return Answer(text="This channel no longer gets the daily Hot Papers.", ephemeral=True)
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
                            "daily Hot Papers."), ephemeral=True)
    new = await store.save_subscription(dataclasses.replace(old, categories=left))
    return Answer(text=f"This channel now gets the daily Hot Papers for {describe(new)}.",
                  ephemeral=True)
