"""`import_paths` on arbitrary input (hypothesis): it never raises; a file either imports
(or is unchanged) or is reported in one line `FILE:LINE: problem` whose line is in the
file. Inputs: any text, any bytes, and the sample post with random damage (lines cut,
doubled, replaced or garbled, numbers made huge, the file cut anywhere)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.archive.importer import import_paths
from bot.store import Store
from tests.paths import SAMPLE_POST

LINES = SAMPLE_POST.read_text(encoding="utf-8").split("\n")
_junk = st.text(max_size=40)  # any code points, surrogates and NUL included


@st.composite
def damaged_posts(draw: st.DrawFn) -> bytes:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        what = draw(st.sampled_from(["cut", "double", "replace", "insert", "number"]))
        if what == "cut":
            del lines[i]
        elif what == "double":
            lines.insert(i, lines[i])
        elif what == "replace":
            lines[i] = draw(_junk)
        elif what == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(_junk) + lines[i][at:]
        else:
            lines[i] = re.sub(r"\d+", draw(st.sampled_from(
                ["0", "2147483647", "2147483648", "99999999999999999999", "9" * 5000])),
                lines[i], count=1)
        if not lines:
            lines = [""]
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text.encode("utf-8", "surrogatepass")


inputs = st.one_of(
    st.text().map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    damaged_posts(),
)


@pytest.fixture
def loop_and_store(tmp_path: Path) -> Iterator[tuple[asyncio.AbstractEventLoop, Store]]:
    loop = asyncio.new_event_loop()
    store = loop.run_until_complete(Store.open(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"))
    try:
        yield loop, store
    finally:
        loop.run_until_complete(store.close())
        loop.close()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=inputs)
def test_import_never_raises_and_answers_in_one_line(
    data: bytes, tmp_path: Path, loop_and_store: tuple[asyncio.AbstractEventLoop, Store]
) -> None:
    loop, store = loop_and_store
    path = tmp_path / "post.md"
    path.write_bytes(data)
    report = loop.run_until_complete(import_paths(store, [path], replace=True))
    if report.errors:
        (line,) = report.errors
        m = re.match(rf"^{re.escape(str(path))}:(\d+): \S", line)
        assert m, line
        assert "\n" not in line
        assert 1 <= int(m[1]) <= max(1, data.count(b"\n") + (not data.endswith(b"\n"))), line
        assert report.imported == [] and report.unchanged == 0
    else:
        assert len(report.imported) + report.unchanged == 1
        date = report.imported[0] if report.imported else None
        if date is not None:
            assert loop.run_until_complete(store.get_digest(date)) is not None
