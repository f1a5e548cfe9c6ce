"""HTML -> PDF with WeasyPrint, fetching nothing but files inside the template roots."""

from __future__ import annotations

import logging
import mimetypes
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


def html_to_pdf(html: str, registry: TemplateRegistry, name: str) -> bytes:
    """Lay out and write one HTML document; raises BuildError naming the template."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint.urls import FatalURLFetchingError

    try:
        doc = HTML(string=html, base_url=BASE_URL, url_fetcher=make_fetcher(registry))
        return bytes(doc.write_pdf(uncompressed_pdf=False))
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
