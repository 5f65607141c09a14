"""`python -m itp_monitor`: the same as the `itp-monitor` command."""

import sys

from itp_monitor.cli import main

sys.exit(main())
