"""Allow `python -m cmpacket`."""

from cmpacket.cli import run

if __name__ == "__main__":
    run()
