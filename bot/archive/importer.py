"""Import Hot Papers posts (files, or folders searched for *.md) into the store.

Idempotent: a post whose digest is already stored unchanged is not written again. A
malformed or unreadable file becomes one line in the report (`FILE:LINE: problem`)
and the other files are still imported. Digests are written in a few transactions.
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
    store: Store, paths: Sequence[str | Path], *, progress: Progress | None = None
) -> ImportReport:
    """Read every post under `paths` into `store`; see the module docstring."""
    files, errors = find_posts(paths)
    report = ImportReport(files=len(files), errors=errors)
    stored = set(await store.digest_dates())
    pending: dict[dt.date, Digest] = {}
    for done, path in enumerate(files, start=1):
        try:
            digest = await asyncio.to_thread(read_post, path)
        except ArchiveFormatError as exc:
            report.errors.append(str(exc))
        else:
            current = pending.get(digest.date)
            if current is None and digest.date in stored:
                current = await store.get_digest(digest.date)
            if digest == current:
                report.unchanged += 1
            else:
                pending[digest.date] = digest
        if progress:
            progress("reading", done, len(files))
    digests = [pending[d] for d in sorted(pending)]
    for start in range(0, len(digests), SAVE_BATCH):
        batch = digests[start : start + SAVE_BATCH]
        await store.save_digests(batch)
        if progress:
            progress("saving", start + len(batch), len(digests))
    report.imported = [d.date for d in digests]
    report.papers = sum(len(d.papers) for d in digests)
    report.mentions = sum(len(p.mentions) for d in digests for p in d.papers)
    return report
