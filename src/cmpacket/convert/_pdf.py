"""HTML -> PDF with WeasyPrint, fetching nothing but files inside the template roots."""

from __future__ import annotations

import functools
import hashlib
import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pikepdf

from cmpacket.errors import BuildError, TemplateError
from cmpacket.templates import TemplateRegistry

BASE_URL = "https://templates.cmpacket.invalid/"


def make_fetcher(registry: TemplateRegistry) -> Any:  # a weasyprint URLFetcher
    """A URL fetcher that serves template-root files only; any other URL stops the render.

    The refusal is fatal (not WeasyPrint's usual warning) so a template that reaches for the
    network or the file system fails the build with exit 3 instead of silently losing content.
    """
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class Refused(FatalURLFetchingError):
        pass

    class RootFetcher(URLFetcher):
        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if not url.startswith(BASE_URL):
                raise Refused(
                    f"refused to load {url}: templates may only load files inside the template roots (no network, no file://)"
                )
            name = unquote(urlsplit(url).path).lstrip("/")
            try:
                winner = registry.find(name)
            except Exception:
                raise Refused(f"{name!r} is not a file on the template search path") from None
            mime = mimetypes.guess_type(winner.path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, body=winner.path.read_bytes(), headers={"Content-Type": mime}
            )

    return RootFetcher(allowed_protocols=["https", "data"])


# The house stylesheet as the built-in base template links it. A document that links it this way
# gets it parsed once per process (`_house_style`) instead of once per document: a build lays out
# dozens of documents, and parsing packet.css was a quarter of a short document's layout.
HOUSE_LINK = '<link rel="stylesheet" href="packet.css">'
_STYLES: dict[tuple[Path, str], Any] = {}  # (the winning packet.css, its sha256) -> weasyprint CSS


@functools.cache
def _fonts() -> Any:  # a weasyprint FontConfiguration, shared by every document of the process
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _house_style(registry: TemplateRegistry, fetcher: Any) -> Any:
    """packet.css (the winner on the template path) parsed, once per process and version.

    It is applied as a user-origin stylesheet: a template's own `<style>` or `style=` rules win
    over it whatever their specificity (with the `<link>`, equal origin, a more specific house
    rule won). The built-in templates have no such rules; docs/templates.md says so."""
    from weasyprint import CSS

    path = registry.find("packet.css").path
    source = path.read_bytes()
    key = (path, hashlib.sha256(source).hexdigest())
    if key not in _STYLES:
        if len(_STYLES) >= 8:  # a long preview session editing packet.css: keep the newest
            _STYLES.pop(next(iter(_STYLES)))
        _STYLES[key] = CSS(
            string=source.decode("utf-8"),
            base_url=BASE_URL,
            url_fetcher=fetcher,
            font_config=_fonts(),
        )
    return _STYLES[key]


def html_to_pdf(html: str, registry: TemplateRegistry, name: str) -> bytes:
    """Lay out and write one HTML document; raises BuildError naming the template."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint.urls import FatalURLFetchingError

    try:
        fetcher = make_fetcher(registry)
        styles = []
        if HOUSE_LINK in html:
            styles.append(_house_style(registry, fetcher))
            html = html.replace(HOUSE_LINK, "", 1)
        doc = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
        pdf = doc.write_pdf(stylesheets=styles, font_config=_fonts(), uncompressed_pdf=False)
        return bytes(pdf)
    except FatalURLFetchingError as exc:
        raise TemplateError(
            f"{name}: {exc}",
            hint="Put images and stylesheets in the template folder and refer to them by relative name.",
        ) from None
    except Exception as exc:  # WeasyPrint raises many kinds; each is a render failure
        raise BuildError(f"{name}: rendering to PDF failed: {type(exc).__name__}: {exc}") from None


def count_pages(pdf: bytes) -> int:
    """The number of pages of a PDF given as bytes."""
    import io

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)
