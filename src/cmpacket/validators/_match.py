"""Matching a proof's text against one value of the data, the way a reviewer reads it.

Forgiving where people are: case, accents (Tomás = TOMAS), name order (Lopez, Maria), middle
names and initials, number spellings (150.123456, 150-123456, 150123456) and date spellings
(11/30/2027, November 30, 2027, 2027-11-30, NOV 30 2027). Strict where a reviewer is: a number
one digit off, another person's name or another date does not match. Pure functions of text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}  # fmt: skip
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_INITIAL_DOT = re.compile(r"(?<=\b\w)\.")  # the dot after a single letter: M.S.W. -> MSW
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"(?<![\w.\-])\d+(?:[.\-]\d+)*(?![\w\-])")
_PREFIX_SPACE = re.compile(r"\b(\d{3}) (\d{6})\b")
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_PATTERNS = (
    # 2027-11-30, 2027/11/30
    (re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"), ("y", "m", "d")),
    # 11/30/2027, 11-30-2027, 11.30.2027
    (re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b"), ("m", "d", "y")),
    # November 30, 2027; NOV 30 2027; Nov. 30th, 2027
    (
        re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I),
        ("b", "d", "y"),
    ),
    # 30 November 2027; 30-NOV-2027
    (re.compile(rf"\b(\d{{1,2}})[\s-]+({_MONTH})\.?[\s,-]+(\d{{4}})\b", re.I), ("d", "b", "y")),
)
DEGREE_WORDS = {
    "associate": ("associate", "associates", "aas", "aa", "as"),
    "bachelor": ("bachelor", "bachelors", "baccalaureate", "bsw", "bsn", "ba", "bs", "bfa", "bba"),
    "master": ("master", "masters", "msw", "mssw", "msn", "mpa", "mba", "mph", "ma", "ms", "med"),
    "doctorate": ("doctor", "doctorate", "phd", "dsw", "psyd", "edd", "dnp"),
}
# Two-letter abbreviations are degrees only when written with dots (M.S., B.A.): bare "MA" or
# "AS" is too often a state or a word.
_DOTTED_ONLY = {"aa", "as", "ba", "bs", "ma", "ms"}


def fold(text: str) -> str:
    """Case and accents folded: 'Tomás' -> 'tomas'."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def words(text: str) -> list[str]:
    """Folded words, dots inside abbreviations dropped ('M.S.W.' -> 'msw')."""
    text = _initial_dots_dropped(fold(text)) if "." in text else fold(text)
    return _WORD.findall(text.replace("'", ""))


def _initial_dots_dropped(text: str) -> str:
    """The dot after a single letter removed ('m.s.w.' -> 'msw'), as `_INITIAL_DOT` would; a
    walk over the dots, several times faster than the regular expression on a page of text."""
    parts = text.split(".")
    out = [parts[0]]
    for before, after in zip(parts, parts[1:], strict=False):
        letter = before[-1:]
        single = len(before) == 1 or not _word_char(before[-2:-1])
        out.append(after if letter and _word_char(letter) and single else "." + after)
    return "".join(out)


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


@dataclass(frozen=True)
class ProofText:
    """One proof's text, with the folded forms the matchers share (computed once)."""

    pages: tuple[str, ...]

    @cached_property
    def joined(self) -> str:
        return "\n".join(self.pages)

    @cached_property
    def words(self) -> list[str]:
        return words(self.joined)

    @cached_property
    def word_set(self) -> frozenset[str]:
        return frozenset(self.words)

    @cached_property
    def squeezed(self) -> str:
        """The text without number separators: every number's digits appear in it unbroken."""
        return re.sub(r"[.\-\s]+", "", self.joined)

    @cached_property
    def number_runs(self) -> list[tuple[str, str]]:
        """(digits, as printed) for every number, separators '.', '-' and '/' inside it joined,
        and a space between a 3-digit prefix and 6 digits (IDFPR numbers printed '150 123456')."""
        text = _PREFIX_SPACE.sub(r"\1.\2", self.joined)
        runs = []
        for m in _NUMBER.finditer(text):
            runs.append((m.group(0).replace(".", "").replace("-", ""), m.group(0)))
        return runs

    @cached_property
    def dates(self) -> list[tuple[date, str]]:
        """Every date the text shows, with its spelling as printed, in text order."""
        found: list[tuple[int, date, str]] = []
        for pattern, order in _DATE_PATTERNS:
            for m in pattern.finditer(self.joined):
                parts = dict(zip(order, m.groups(), strict=True))
                month = MONTHS[parts["b"].lower()] if "b" in parts else int(parts["m"])
                try:
                    day = date(int(parts["y"]), month, int(parts["d"]))
                except ValueError:
                    continue
                found.append((m.start(), day, m.group(0)))
        return [(d, s) for _, d, s in sorted(found, key=lambda x: x[0])]

    def labeled(self, labels: tuple[str, ...]) -> str:
        """The value printed after the first of `labels` ('License number 150.123456' or the
        label on its own line and the value on the next), '' when no label is found."""
        lines = [ln.strip() for ln in self.joined.split("\n")]
        for i, line in enumerate(lines):
            low = fold(line)
            for label in labels:
                at = low.find(label)
                if at < 0:
                    continue
                rest = line[at + len(label) :].strip(" :#-\t")
                if rest:
                    return rest
                return lines[i + 1] if i + 1 < len(lines) else ""
        return ""


def number_digits(value: str) -> str:
    """A number's digits with leading zeros of the whole dropped: '041.412087' -> '41412087'."""
    return re.sub(r"\D", "", value).lstrip("0")


def find_number(proof: ProofText, number: str) -> bool:
    """True when the proof shows exactly this number, however it is punctuated."""
    want = number_digits(number)
    if len(want) < 4:  # too short to tell apart from any other figure
        return any(w == fold(number).strip() for w in proof.words)
    if want not in proof.squeezed:  # quick refusal: the digits are nowhere in the text
        return False
    return any(digits.lstrip("0") == want for digits, _ in proof.number_runs)


def shown_number(proof: ProofText, number: str) -> str:
    """The license number the proof shows instead ('' when none can be read)."""
    value = proof.labeled(("license number", "license number", "license no", "license #", "lic #"))
    m = re.search(r"\d[\d.\- ]*\d", value)
    if m:
        return m.group(0).strip()
    want = len(number_digits(number))
    near = [
        shown for digits, shown in proof.number_runs if abs(len(digits.lstrip("0")) - want) <= 1
    ]
    return near[0] if len(near) == 1 else ""


def name_parts(name: str) -> tuple[list[str], list[str]]:
    """(required, optional) folded words of a person's name: the first and last names are
    required, middle names optional. 'Lopez, Maria A.' is read as 'Maria A. Lopez'."""
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    parts = words(name)
    if len(parts) <= 2:
        return parts, []
    return [parts[0], parts[-1]], [p for p in parts[1:-1] if len(p) > 1]


def find_name(proof: ProofText, name: str, window: int = 4) -> bool:
    """True when the proof shows the person's first and last names close together (in either
    order, with or without middle names or initials between them)."""
    required, _ = name_parts(name)
    if not required or not all(w in proof.word_set for w in required):
        return False
    if len(required) == 1:
        return True
    first, last = required
    seen = proof.words
    firsts = [i for i, w in enumerate(seen) if w == first]
    lasts = firsts if first == last else [i for i, w in enumerate(seen) if w == last]
    return any(0 < abs(i - j) <= window for i in firsts for j in lasts) or (
        first == last and len(firsts) >= 2
    )


def shown_name(proof: ProofText) -> str:
    """The name the proof prints after a label (Name, Licensee, Holder), '' when none."""
    value = proof.labeled(("licensee name", "name of licensee", "licensee", "holder", "name"))
    return value[:60] if re.search(r"[^\W\d_]{2,}", value) else ""


def find_date(proof: ProofText, day: date) -> bool:
    """True when the proof shows this date in any of the spellings read (see _DATE_PATTERNS)."""
    return _date_regex(day).search(proof.joined) is not None


@lru_cache(maxsize=1024)
def _date_regex(day: date) -> re.Pattern[str]:
    """One pattern for every spelling of one date: cheaper than reading every date of the text."""
    mm, dd, y = f"0?{day.month}", f"0?{day.day}", day.year
    names = "|".join(n for n, i in MONTHS.items() if i == day.month)
    spellings = [
        rf"(?<!\d){y}[-/.]{mm}[-/.]{dd}(?!\d)",
        rf"(?<!\d){mm}[-/.]{dd}[-/.]{y}(?!\d)",
        rf"(?<![a-z])(?:{names})\.?\s+{dd}(?:st|nd|rd|th)?,?\s+{y}(?!\d)",
        rf"(?<!\d){dd}[\s-]+(?:{names})\.?[\s,-]+{y}(?!\d)",
    ]
    return re.compile("|".join(spellings), re.I)


def shown_date(proof: ProofText, labels: tuple[str, ...]) -> str:
    """The date printed after one of `labels`; else the only date the proof shows; else ''."""
    value = proof.labeled(labels)
    hits = [m for pattern, _ in _DATE_PATTERNS if (m := pattern.search(value))]
    if hits:
        return min(hits, key=lambda m: m.start()).group(0)
    return proof.dates[0][1] if len(proof.dates) == 1 else ""


def degree_levels(proof: ProofText) -> set[str]:
    """The degree levels a diploma's text names (bachelor, master, ...)."""
    found = set()
    dotted = set(words(" ".join(re.findall(r"\b(?:[A-Za-z]\.){2,}", proof.joined))))
    for level, names in DEGREE_WORDS.items():
        for w in names:
            if w in _DOTTED_ONLY:
                if w in dotted:
                    found.add(level)
            elif w in proof.word_set:
                found.add(level)
    return found
