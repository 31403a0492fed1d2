"""The application catalogue: lookup rules and sanity of the shipped data file."""

from __future__ import annotations

import csv

import pytest

from wirelens.apps import (
    CATALOGUE_PATH,
    CATEGORIES,
    Catalogue,
    load_catalogue,
    lookup,
    parse_catalogue,
)


def _rows() -> list[list[str]]:
    lines = [ln for ln in CATALOGUE_PATH.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    return list(csv.reader(lines))


@pytest.mark.parametrize(("name", "app"), [
    ("www.youtube.com", "YouTube"),
    ("youtube.com", "YouTube"),
    ("r3---sn-abc.googlevideo.com", "YouTube"),
    ("WWW.YouTube.COM", "YouTube"),
    ("www.youtube.com.", "YouTube"),
    ("tv.apple.com", "Apple TV+"),      # longer suffix wins over apple.com
    ("www.apple.com", "Apple"),
    ("iplayer.bbc.co.uk", "BBC iPlayer"),
    ("news.bbc.co.uk", "BBC"),
])
def test_known_names(name: str, app: str) -> None:
    hit = lookup(name)
    assert hit is not None and hit[0] == app


@pytest.mark.parametrize("name", [
    "notyoutube.com", "youtube.com.evil.example", "tube.com", "com", "", ".", "localhost",
    "myoutube.com", "xgoogle.com",
])
def test_label_boundaries_and_unknown(name: str) -> None:
    assert lookup(name) is None


def test_category_returned() -> None:
    assert lookup("www.youtube.com") == ("YouTube", "video")
    assert lookup("slack.com") == ("Slack", "collaboration")


def test_small_catalogue_longest_suffix() -> None:
    cat = Catalogue({"example.com": ("Ex", "cdn"), "a.example.com": ("A", "video")})
    assert cat.lookup("x.a.example.com") == ("A", "video")
    assert cat.lookup("b.example.com") == ("Ex", "cdn")
    assert cat.lookup("aa.example.com") == ("Ex", "cdn")
    assert cat.lookup("example.co") is None


def test_parse_rejects_bad_rows() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        parse_catalogue("a.com,A,cdn\nA.com.,B,cdn\n")
    with pytest.raises(ValueError):
        parse_catalogue("a.com,A,not_a_category\n")
    with pytest.raises(ValueError):
        parse_catalogue("a.com,A\n")
    assert parse_catalogue("# comment\n\nA.Com.,A,cdn\n") == {"a.com": ("A", "cdn")}


def test_catalogue_file_sanity() -> None:
    rows = _rows()
    assert all(len(r) == 3 for r in rows)
    suffixes = [r[0].strip().lower().rstrip(".") for r in rows]
    assert len(suffixes) == len(set(suffixes)), "duplicate suffix"
    assert len({r[1] for r in rows}) >= 300
    assert {r[2] for r in rows} <= CATEGORIES
    assert all(s and " " not in s and not s.startswith(".") for s in suffixes)
    assert len(load_catalogue()) == len(rows)


def test_loaded_once() -> None:
    assert load_catalogue() is load_catalogue()
