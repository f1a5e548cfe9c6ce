"""The caps `verify`, `inspect` and `diff` put on a received packet (untrusted input)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from cmpacket.errors import UsageError

MiB = 1 << 20
DEFAULT_MANIFEST_BYTES = 16 * MiB
DEFAULT_MANIFEST_VALUES = 1_000_000
MANIFEST_BYTES_PER_PAGE = 2048  # twice what an honest manifest holds a page
MANIFEST_VALUES_PER_PAGE = 60
MANIFEST_BYTES_CEILING = 64 * MiB
MANIFEST_VALUES_CEILING = 2_500_000


@dataclass(frozen=True)
class VerifyLimits:
    """Caps on what a received packet may ask of the reviewer's machine.

    Every figure is far above what an honest cmpacket packet needs (a 3,000-page packet of scans
    stays under a tenth of each), and low enough that `verify` stays under about 300 MB of memory.
    A packet over a cap gets a finding; nothing over a cap is decoded.
    """

    stream_bytes: int = 256 * MiB  # decoded bytes of one content stream
    page_bytes: int = 512 * MiB  # decoded bytes of one page's content streams together
    image_pixels: int = 250_000_000  # width x height of one image on a page
    stamp_bytes: int = 16 * 1024  # decoded bytes of the stream that carries a page's stamp
    pages: int = 100_000
    objects: int = 5_000_000  # objects the cross-reference table declares
    outline_items: int = 100_000
    outline_depth: int = 16
    manifest_bytes: int = DEFAULT_MANIFEST_BYTES  # the embedded or sidecar manifest, decoded
    manifest_depth: int = 32  # nesting of arrays and objects
    manifest_values: int = DEFAULT_MANIFEST_VALUES  # arrays, objects and the values in them

    def for_pages(self, pages: int) -> VerifyLimits:
        """The caps for a packet of `pages` distinct pages. The manifest lists every page and
        document, so an honest one grows with the packet (about 920 bytes and 24 values a page:
        15 MB at 16,700 pages, which a 2,200-staff agency's packet passes). The two manifest
        caps, where they are the defaults, grow to MANIFEST_BYTES_PER_PAGE and
        MANIFEST_VALUES_PER_PAGE a page, up to MANIFEST_BYTES_CEILING and
        MANIFEST_VALUES_CEILING (a 5,000-staff packet's manifest is about 38 MB and a million
        values); a cap the reviewer set (`--limit`) stays as set."""
        pages = max(0, min(pages, self.pages))
        grown: dict[str, int | None] = {}
        if self.manifest_bytes == DEFAULT_MANIFEST_BYTES:
            grown["manifest_bytes"] = min(
                MANIFEST_BYTES_CEILING, max(self.manifest_bytes, pages * MANIFEST_BYTES_PER_PAGE)
            )
        if self.manifest_values == DEFAULT_MANIFEST_VALUES:
            grown["manifest_values"] = min(
                MANIFEST_VALUES_CEILING,
                max(self.manifest_values, pages * MANIFEST_VALUES_PER_PAGE),
            )
        return self.replace(**grown)

    def replace(self, **changes: int | None) -> VerifyLimits:
        """A copy with the given caps changed (None leaves a cap as it is)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown verify limit(s): {', '.join(unknown)}")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: int(v) for k, v in changes.items() if v is not None})
        return VerifyLimits(**values)


DEFAULT_LIMITS = VerifyLimits()


def limits_from_options(options: tuple[str, ...] | list[str]) -> VerifyLimits:
    """`--limit NAME=N` options -> VerifyLimits; raises UsageError naming a bad option."""

    names = ", ".join(f.name for f in fields(VerifyLimits))
    changes: dict[str, int | None] = {}
    for option in options:
        name, sep, value = option.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in {f.name for f in fields(VerifyLimits)}:
            raise UsageError(f"--limit {option!r}: expected NAME=N.", hint=f"Names: {names}.")
        try:
            number = int(value.replace("_", "").replace(",", ""))
        except ValueError:
            raise UsageError(f"--limit {option!r}: {value!r} is not a whole number.") from None
        if number < 1:
            raise UsageError(f"--limit {option!r}: a limit must be at least 1.")
        changes[name] = number
    return DEFAULT_LIMITS.replace(**changes)
