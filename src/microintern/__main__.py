"""Allow ``python -m microintern``."""

from microintern.cli import main

if __name__ == "__main__":
    main()
