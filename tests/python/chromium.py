"""Debian's headless Chromium, driven by Selenium, for the explorer's tests in a real browser.

Test modules skip themselves where Chromium, its driver or Selenium is
missing (``pytestmark = chromium.needed``, then ``pytest.importorskip`` of
Selenium) and start it with :func:`start`. Screenshots go to :data:`ARTIFACTS`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
needed = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Debian's chromium and chromium-driver are not installed (make test installs them "
           "with apt as root: apt-get install chromium chromium-driver)")
ARTIFACTS = Path(os.environ.get("S3TOOLS_TEST_ARTIFACTS")
                 or Path(__file__).resolve().parents[1] / "artifacts") / "explorer"
# Without these Chromium keeps trying to reach the internet, which test machines refuse.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def start(profile: str, *flags: str, page_load_seconds: int = 60):
    """A new Chromium with an empty profile in ``profile`` and ``flags`` besides
    :data:`FLAGS`; ``quit()`` ends it and its driver."""
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(page_load_seconds)
    return driver
