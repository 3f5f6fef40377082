"""`python -m creatorflow` runs the command line."""

from creatorflow.cli.app import main

if __name__ == "__main__":
    main()
