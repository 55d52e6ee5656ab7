"""`python -m boundary` is the `boundary` command."""

from boundary.cli import main

if __name__ == "__main__":
    main()
