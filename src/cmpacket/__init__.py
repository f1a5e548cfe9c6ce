"""cmpacket: Illinois Case Management Agency certification packets from agency data and uploads."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cmpacket")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
