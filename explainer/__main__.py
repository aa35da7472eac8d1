"""`python -m explainer`: the same entry point as the `explainer` console script."""

import sys

from explainer.cli import main

sys.exit(main())
