"""Puts the pack folder on sys.path (as the Pulumi CLI's working directory does) before test modules import it.

The catalogue's parse cache goes to a folder of this test session (removed at exit), not the user's ~/.cache.
"""

import atexit
import os
import shutil
import tempfile

if "CMEK_CATALOGUE_CACHE" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="cmek-catalogue-cache-")
    os.environ["CMEK_CATALOGUE_CACHE"] = _cache
    atexit.register(shutil.rmtree, _cache, True)

from tests.policies import harness  # noqa: E402,F401  (the import does it)
