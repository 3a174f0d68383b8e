"""``python -m monkeyhouse``."""

from monkeyhouse.cli.main import main

raise SystemExit(main())
