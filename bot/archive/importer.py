"""Import Hot Papers posts (files, or folders searched for *.md) into the store.

Idempotent: a post whose digest is already stored unchanged is not written again. Never
loses a stored day: a post for a day already stored with other content (a post cut
short, a day built from the live sources) is reported and not applied unless `replace`;
two files for one day in one run are an error naming both (unless they hold the same
digest), and neither is applied. A malformed or unreadable file becomes one line in the
report (`FILE:LINE: problem`) and the other files are still imported; a digest the
database refuses is one line too. Imported digests are marked `imported`: authoritative,
no build replaces them. Digests are written in a few transactions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.archive.parse import parse_post
from bot.errors import ArchiveFormatError
from bot.models import Digest
from bot.render.common import paper_count
from bot.store import Store

# progress(stage, done, total): stage is "reading" (per file) or "saving" (per digest)
Progress = Callable[[str, int, int], None]
SAVE_BATCH = 100


@dataclass
class ImportReport:
    files: int = 0
    imported: list[dt.date] = field(default_factory=list)  # new or changed digests
    unchanged: int = 0
    papers: int = 0  # in the imported digests
    mentions: int = 0
    errors: list[str] = field(default_factory=list)  # one line each: FILE:LINE: problem

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        n = len(self.imported)
        return (f"imported {n} post{'' if n == 1 else 's'} ({self.papers} papers, "
                f"{self.mentions} mentions), {self.unchanged} unchanged, "
                f"{len(self.errors)} error{'' if len(self.errors) == 1 else 's'}")


def find_posts(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """The post files named by `paths` (folders: every *.md below, sorted) and one
    error line per path that does not exist."""
    files: list[Path] = []
    errors: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.md") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            errors.append(f"{path}: no such file or folder")
    return files, errors


def read_post(path: Path) -> Digest:
    """Parse one post file; raises ArchiveFormatError (one line) for any problem."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArchiveFormatError(str(path), 1, f"cannot read it ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArchiveFormatError(str(path), line, "not UTF-8 text") from exc
    return parse_post(text, str(path))


async def import_paths(
    store: Store, paths: Sequence[str | Path], *, replace: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Read every post under `paths` into `store`; see the module docstring."""
    files, errors = find_posts(paths)
    report = ImportReport(files=len(files), errors=errors)
    stored = set(await store.digest_dates())
    pending: dict[dt.date, tuple[Path, Digest]] = {}
    first_file: dict[dt.date, tuple[Path, Digest]] = {}  # every date read in this run
    clashing: set[dt.date] = set()
    for done, path in enumerate(files, start=1):
        try:
            digest = await asyncio.to_thread(read_post, path)
        except ArchiveFormatError as exc:
            report.errors.append(str(exc))
        else:
            _take(report, path, digest, first_file, clashing, pending,
                  await store.get_digest(digest.date) if digest.date in stored else None,
                  replace)
        if progress:
            progress("reading", done, len(files))
    todo = [pending[d] for d in sorted(pending)]
    saved: list[Digest] = []
    for start in range(0, len(todo), SAVE_BATCH):
        batch = todo[start : start + SAVE_BATCH]
        saved.extend(await _save(store, batch, report))
        if progress:
            progress("saving", start + len(batch), len(todo))
    report.imported = [d.date for d in saved]
    report.papers = sum(len(d.papers) for d in saved)
    report.mentions = sum(len(p.mentions) for d in saved for p in d.papers)
    return report


def _take(report: ImportReport, path: Path, digest: Digest,
          first_file: dict[dt.date, tuple[Path, Digest]], clashing: set[dt.date],
          pending: dict[dt.date, tuple[Path, Digest]], current: Digest | None,
          replace: bool) -> None:
    """Decide what happens to one parsed post: pending, unchanged, or an error line."""
    day = digest.date
    earlier = first_file.setdefault(day, (path, digest))
    if earlier[0] != path:
        if earlier[1] == digest and day not in clashing:
            report.unchanged += 1  # the same post twice: once is enough
            return
        if day not in clashing:
            clashing.add(day)
            pending.pop(day, None)
            report.errors.append(f"{earlier[0]}: {day}: also in {path} with other content: "
                                 "two files for one day, neither imported; import one of them")
        else:
            report.errors.append(f"{path}: {day}: another file for that day, not imported")
        return
    if digest == current:
        report.unchanged += 1
    elif current is not None and not replace:
        report.errors.append(f"{path}: {day}: {_difference(current, digest)}: not replaced; "
                             "add --replace")
    else:
        pending[day] = (path, digest)


def _difference(stored: Digest, post: Digest) -> str:
    """`stored 11 papers, this file has 3`."""
    what = f"stored {paper_count(len(stored.papers))}"
    if not stored.is_imported:
        what += f" (built from {', '.join(stored.sources) or 'no source'})"
    this = f"this file has {len(post.papers)}"
    if len(post.papers) == len(stored.papers):
        this += " with other content"
    return f"{what}, {this}"


async def _save(store: Store, batch: list[tuple[Path, Digest]], report: ImportReport
                ) -> list[Digest]:
    """Save a batch in one transaction; when the database refuses it, one digest at a
    time, so that only the refused ones are lost (each one line in the report)."""
    digests = [d for _, d in batch]
    try:
        await store.save_digests(digests)
        return digests
    except Exception:  # the refused ones are found below, one by one
        pass
    saved: list[Digest] = []
    for path, digest in batch:
        try:
            await store.save_digest(digest)
        except Exception as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            report.errors.append(f"{path}:1: the database refused this post ({reason})")
        else:
            saved.append(digest)
    return saved
