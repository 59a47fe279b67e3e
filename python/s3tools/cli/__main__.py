"""``python -m s3tools.cli``: the same as the ``s3tools`` command."""

import sys

from . import main

sys.exit(main())
