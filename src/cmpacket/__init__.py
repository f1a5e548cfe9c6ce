"""cmpacket: Illinois Case Management Agency certification packets from agency data and uploads."""

# The one place the version is written (pyproject.toml reads it from here): importing
# importlib.metadata to look it up cost every command about 50 ms.
__version__ = "0.1.0"

__all__ = ["__version__"]
