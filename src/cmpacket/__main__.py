"""Allow `python -m cmpacket`."""

from cmpacket.cli import main

if __name__ == "__main__":
    main()
