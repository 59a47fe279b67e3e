"""The file explorer in a real browser: Debian's headless Chromium, driven by Selenium.

Open the page, click a bucket, a folder of more than 1,000 files (page on),
search, a CSV (its preview's values), Select (the R and Python code, which
reads that very file), and a URL without the token refused. A screenshot of
each step goes to tests/artifacts/explorer/ (or S3TOOLS_TEST_ARTIFACTS).
"""

from __future__ import annotations

import ast
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import BUCKET, put

import s3tools
from s3tools.explorer import Explorer

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Debian's chromium and chromium-driver are not installed (make test installs them "
           "with apt as root: apt-get install chromium chromium-driver)")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = Path(os.environ.get("S3TOOLS_TEST_ARTIFACTS")
                 or Path(__file__).resolve().parents[1] / "artifacts") / "explorer"
# Without these Chromium keeps trying to reach the internet, which test machines refuse.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,860")


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()  # ends chromium and chromedriver


def test_browse_to_a_file_preview_it_and_select_it(seed, browser):
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: put(seed, f"scans/file-{n:04}.csv", "a,b\n1,2\n"), range(1010)))
    put(seed, "survey/people.csv", "id,name,town\n1,Ann,York\n2,Bob,\n3,Cy,Leeds\n")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    explorer = Explorer(page_size=400)
    wait = WebDriverWait(browser, 30)

    def shot(name: str) -> None:
        browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def click(selector: str) -> None:
        wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, selector))
        browser.find_element(By.CSS_SELECTOR, selector).click()

    def status() -> str:
        return browser.find_element(By.ID, "status").text

    try:
        browser.get(explorer.url.split("?")[0])
        assert "token" in browser.find_element(By.TAG_NAME, "body").text
        assert BUCKET not in browser.page_source
        shot("0-without-token")

        browser.get(explorer.url)
        wait.until(lambda driver: status() == "1 bucket")
        row = browser.find_element(By.XPATH, f"//a[@data-path='{BUCKET}/']/ancestor::tr")
        assert row.find_element(By.CLASS_NAME, "badge").text in s3tools.access.LEVELS
        shot("1-buckets")
        click(f"a[data-path='{BUCKET}/']")
        click(f"a[data-path='{BUCKET}/scans/']")
        wait.until(lambda driver: "there are more" in status())
        assert status() == "400 entries shown; there are more."
        shot("2-folder-first-page")
        browser.find_element(By.ID, "more").click()
        wait.until(lambda driver: status().startswith("800"))
        browser.find_element(By.ID, "more").click()
        wait.until(lambda driver: status() == "1,010 entries.")
        assert not browser.find_element(By.ID, "more").is_displayed()
        assert browser.find_elements(By.CSS_SELECTOR, f"[data-path='{BUCKET}/scans/file-1009.csv']")
        shot("3-folder-every-page")

        browser.find_element(By.CSS_SELECTOR, "nav a:nth-of-type(2)").click()  # the bucket
        click(f"a[data-path='{BUCKET}/survey/']")
        search = browser.find_element(By.ID, "search-text")
        search.send_keys("PEOPLE")
        search.submit()
        wait.until(lambda driver: status() == "1 found.")
        shot("4-search")
        click(f"button[data-path='{BUCKET}/survey/people.csv']")
        wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#preview td"))
        headers = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#preview th")]
        rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                for row in browser.find_elements(By.CSS_SELECTOR, "#preview tbody tr")]
        assert headers == ["id", "name", "town"]
        assert rows == [["1", "Ann", "York"], ["2", "Bob", ""], ["3", "Cy", "Leeds"]]
        shot("5-preview")

        browser.find_element(By.ID, "select").click()
        wait.until(lambda driver: driver.find_element(By.ID, "code-r").text)
        r_code = browser.find_element(By.ID, "code-r").text
        python_code = browser.find_element(By.ID, "code-python").text
        shot("6-selected")
        assert r_code == f's3_path_to_df("{BUCKET}/survey/people.csv")'
        assert python_code == f's3tools.s3_path_to_df("{BUCKET}/survey/people.csv")'
        # The Python line, run as shown, reads that very file.
        frame = eval(python_code, {"s3tools": s3tools})  # the page's own line
        assert frame["name"].tolist() == ["Ann", "Bob", "Cy"]
        assert ast.literal_eval(r_code.removeprefix("s3_path_to_df(")[:-1]) == (
            f"{BUCKET}/survey/people.csv")
        assert explorer.selected == [f"{BUCKET}/survey/people.csv"]
        # No script error; the refused requests are those of the address without its token.
        problems = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert all(entry["source"] == "network" and "403" in entry["message"]
                   for entry in problems), problems
    finally:
        explorer.stop()


def test_hostile_names_are_shown_escaped_and_stay_text(seed, browser):
    """Names with a bidi override, a C1 control or markup: escaped and marked in the page,
    never run as markup; each file still opens, previews and is selected by its real key."""
    bidi, markup = "evil\u202egpj.csv", "<img src=x onerror=alert(1)><script>alert(2)<\\script>.csv"
    for key in (bidi, f"right\u202eto left/c1\x9b31m.csv", markup):
        put(seed, key, "a,b\n1,\u202e2\n")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    explorer = Explorer()
    wait = WebDriverWait(browser, 30)

    def texts(selector: str) -> list[str]:
        return [found.text for found in browser.find_elements(By.CSS_SELECTOR, selector)]

    try:
        browser.get(explorer.url + f"#{BUCKET}/")
        wait.until(lambda driver: driver.find_element(By.ID, "status").text == "3 entries.")
        assert texts("#listing-body .name") == [
            "right\\u202eto left/", markup, "evil\\u202egpj.csv"]
        assert texts("#listing-body .escape") == ["\\u202e", "\\u202e"]
        assert not browser.find_elements(By.CSS_SELECTOR, "#listing img, #listing script")
        browser.find_element(By.CSS_SELECTOR, f"button[data-path='{BUCKET}/{bidi}']").click()
        wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#preview td"))
        assert browser.find_element(By.ID, "file-name").text == "evil\\u202egpj.csv"
        assert texts("#preview td") == ["1", "\\u202e2"]
        browser.find_element(By.ID, "select").click()
        wait.until(lambda driver: driver.find_element(By.ID, "code-r").text)
        assert browser.find_element(By.ID, "code-r").text == (
            f's3_path_to_df("{BUCKET}/evil\\u{{202e}}gpj.csv")')
        browser.save_screenshot(str(ARTIFACTS / "7-hostile-names.png"))
        browser.find_element(By.CSS_SELECTOR, "#listing-body a.name").click()  # the folder
        wait.until(lambda driver: driver.find_element(By.ID, "status").text == "1 entry.")
        assert browser.find_element(By.ID, "crumbs").text == (
            f"Buckets/{BUCKET}/right\\u202eto left")
        assert texts("#listing-body .name") == ["c1\\x9b31m.csv"]
        assert explorer.selected == [f"{BUCKET}/{bidi}"]
        problems = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert not problems, problems
    finally:
        explorer.stop()
