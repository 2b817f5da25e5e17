"""arXiv id extraction: every URL form and free text round-trips; impossible ids never do."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.arxiv.ids import OLD_ARCHIVES, extract_ids, normalize_id

TODAY = dt.datetime.now(dt.UTC).date()


def _months(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    out, (y, m) = [], first
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


NEW_MONTHS = _months((2007, 4), (TODAY.year, TODAY.month))
OLD_MONTHS = _months((1991, 8), (2007, 3))


@st.composite
def new_ids(draw: st.DrawFn) -> str:
    year, month = draw(st.sampled_from(NEW_MONTHS))
    digits = 5 if (year, month) >= (2015, 1) else 4
    num = draw(st.integers(1, 10**digits - 1))
    return f"{year % 100:02d}{month:02d}.{num:0{digits}d}"


@st.composite
def old_ids(draw: st.DrawFn) -> str:
    year, month = draw(st.sampled_from(OLD_MONTHS))
    archive = draw(st.sampled_from(OLD_ARCHIVES))
    return f"{archive}/{year % 100:02d}{month:02d}{draw(st.integers(1, 999)):03d}"


valid_ids = st.one_of(new_ids(), old_ids())
versions = st.one_of(st.just(""), st.integers(1, 30).map(lambda v: f"v{v}"))

URL_FORMS = (
    "https://arxiv.org/abs/{id}{v}",
    "http://arxiv.org/abs/{id}{v}?context=cs",
    "https://arxiv.org/pdf/{id}{v}",
    "https://arxiv.org/pdf/{id}{v}.pdf",
    "https://www.arxiv.org/html/{id}{v}#S2",
    "http://export.arxiv.org/abs/{id}{v}",
    "https://www.alphaxiv.org/abs/{id}{v}",
    "https://www.alphaxiv.org/overview/{id}",
    "https://huggingface.co/papers/{id}",
    "https://doi.org/10.48550/arXiv.{id}",
    "doi:10.48550/ARXIV.{id}",
    "arXiv:{id}{v}",
    "ArXiv: {id}{v}",
    "{id}{v}",
)
FILLER = st.text(alphabet="abcdefghij ,;:!?()\n\t", max_size=40)


@given(valid_ids, versions, st.sampled_from(URL_FORMS), FILLER, FILLER)
@example("2108.02774", "v2", "https://arxiv.org/pdf/{id}{v}.pdf", "", "")
@example("hep-th/9901001", "v3", "https://arxiv.org/abs/{id}{v}", "see ", " now")
def test_any_valid_id_in_any_form_round_trips(
    arxiv_id: str, version: str, form: str, before: str, after: str
) -> None:
    text = before + " " + form.format(id=arxiv_id, v=version) + " " + after
    assert extract_ids(text) == [arxiv_id]
    assert normalize_id(arxiv_id + version) == arxiv_id
    assert normalize_id("arXiv:" + arxiv_id + version) == arxiv_id


@given(st.lists(valid_ids, min_size=1, max_size=6), versions)
def test_many_ids_are_deduplicated_in_order_of_first_appearance(
    ids: list[str], version: str
) -> None:
    text = " and ".join(f"https://arxiv.org/abs/{i}{version}" for i in ids + ids[::-1])
    assert extract_ids(text) == list(dict.fromkeys(ids))


@given(old_ids(), st.sampled_from(["GT", "AG", "AI", "LG"]))
def test_old_style_subject_class_is_dropped(arxiv_id: str, subject: str) -> None:
    archive, number = arxiv_id.split("/")
    assert normalize_id(f"{archive}.{subject}/{number}v2") == arxiv_id
    assert extract_ids(f"https://arxiv.org/abs/{archive}.{subject}/{number}") == [arxiv_id]


@st.composite
def impossible_new_ids(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["month", "early", "digits", "future", "zero"]))
    if kind == "month":
        yymm = f"{draw(st.integers(8, 25)):02d}{draw(st.sampled_from([0, 13, 14, 20, 99])):02d}"
        return f"{yymm}.{draw(st.integers(1, 99999)):05d}"
    if kind == "early":  # new-style ids start at 0704
        year, month = draw(st.sampled_from(_months((2000, 1), (2007, 3))))
        return f"{year % 100:02d}{month:02d}.{draw(st.integers(1, 9999)):04d}"
    if kind == "digits":  # 4 digits until 1412, 5 from 1501
        year, month = draw(st.sampled_from(NEW_MONTHS))
        digits = 4 if (year, month) >= (2015, 1) else 5
        return f"{year % 100:02d}{month:02d}.{draw(st.integers(1, 9999)):0{digits}d}"
    if kind == "future":
        return f"{(TODAY.year + 2) % 100:02d}01.{draw(st.integers(1, 99999)):05d}"
    year, month = draw(st.sampled_from(NEW_MONTHS))
    return f"{year % 100:02d}{month:02d}." + "0" * (5 if year >= 2015 else 4)


@given(impossible_new_ids(), st.sampled_from(URL_FORMS), versions)
def test_impossible_new_style_ids_are_rejected(bad: str, form: str, version: str) -> None:
    assert normalize_id(bad) is None
    assert extract_ids(form.format(id=bad, v=version)) == []


@pytest.mark.parametrize(
    "bad",
    [
        "hep-th/9013001",  # month 13
        "hep-th/9001001",  # before August 1991
        "math/0704001",  # old style after March 2007
        "hep-th/990100",  # 6 digits
        "hep-th/0000000",
        "nosuch-th/9901001",  # no such archive
        "2108.0277",  # truncated
        "2108.027745",  # too long
        "",
        "arXiv:",
        "https://arxiv.org/abs/2108.02774",  # normalize_id takes ids, not URLs
    ],
)
def test_impossible_or_malformed_ids_normalise_to_none(bad: str) -> None:
    assert normalize_id(bad) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Truncated link arxiv.org/abs/2108.0277… is not an id", []),
        ("ip 10.2108.02774.1 and price 1.2108.02774", []),
        ("version 3.2108.02774 of something", []),
        ("Our paper https://arxiv.org/abs/2108.02774v1 (code: github.com/x/y)", ["2108.02774"]),
        ("pdf https://arxiv.org/pdf/2108.02774v2.pdf, abs arxiv.org/abs/2108.02774",
         ["2108.02774"]),
        ("astro-ph/0601001 then cond-mat/0703001v2", ["astro-ph/0601001", "cond-mat/0703001"]),
        ("https://scholar.google.com/scholar?q=arXiv%3A2108.02774v1", ["2108.02774"]),
        ("https://example.org/?u=https%3A%2F%2Farxiv.org%2Fabs%2Fhep-th%2F9901001",
         ["hep-th/9901001"]),
    ],
)
def test_free_text_examples(text: str, expected: list[str]) -> None:
    assert extract_ids(text) == expected
