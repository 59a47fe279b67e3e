"""The file explorer in a real JupyterLab, seen from a browser that cannot reach the kernel.

JupyterLab runs on 127.0.0.2 (its base URL ``/user/tester/``, as JupyterHub
serves a user's server), started here with a token; its kernels run
s3tools against the test S3 server. Debian's headless Chromium, driven by
Selenium, reaches 127.0.0.2 only: every other address on the loopback,
127.0.0.1 included, goes to a dead proxy. So the browser is as far from the
kernel's 127.0.0.1 as a laptop is from a JupyterHub: whatever works here
goes over JupyterLab's own connection. One JupyterLab serves the module.
Screenshots go to tests/artifacts/explorer/ (or S3TOOLS_TEST_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chromium
import pytest
from conftest import ACCESS_KEY, BUCKET, SECRET_KEY, put

import s3tools

pytestmark = chromium.needed
pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
pytest.importorskip("jupyterlab", reason="jupyterlab is not installed (make venv installs it)")
pytest.importorskip("anywidget", reason="anywidget is not installed (make venv installs it)")
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ARTIFACTS = chromium.ARTIFACTS
HOST = "127.0.0.2"
BASE = "/user/tester/"
RUN_EXPLORER = "import s3tools\ns3tools.file_explorer_s3()"
# A kernel without the widget's package: anywidget cannot be imported in it.
WITHOUT_WIDGET = ("import sys\nsys.modules['anywidget'] = None\n" + RUN_EXPLORER)
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def notebook(folder: Path, name: str, source: str) -> str:
    cells = [{"cell_type": "code", "execution_count": None, "id": "explorer", "metadata": {},
              "outputs": [], "source": source}]
    document = {"cells": cells, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}
    (folder / name).write_text(json.dumps(document))
    return name


class JupyterLab:
    """``python -m jupyterlab`` on 127.0.0.2 with a token; its kernels use the test S3 server."""

    def __init__(self, endpoint: str, folder: Path) -> None:
        self.folder = folder / "notebooks"
        self.folder.mkdir()
        home = folder / "home"
        settings = home / "config/lab/user-settings/@jupyterlab/apputils-extension"
        settings.mkdir(parents=True)
        # No question about Jupyter's news in a corner of every screenshot.
        (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        self.token = secrets.token_hex(16)
        self.port = free_port(HOST)
        self.url = f"http://{HOST}:{self.port}{BASE}"
        environment = {name: value for name, value in os.environ.items()
                       if not name.lower().endswith("_proxy") and not name.startswith("AWS_")}
        environment.update(
            HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            IPYTHONDIR=str(home / "ipython"), S3TOOLS_RAM_DIR=str(home),
            # The s3tools under test, whichever checkout this is.
            PYTHONPATH=str(Path(s3tools.__file__).resolve().parents[1]),
            AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION="us-east-1",
            AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_CONFIG_FILE=str(home / "no-aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
            # As JupyterHub sets it for the user's server and its kernels.
            JUPYTERHUB_SERVICE_PREFIX=BASE)
        self.log = open(folder / "jupyterlab.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.ip={HOST}",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--ServerApp.base_url={BASE}", f"--ServerApp.root_dir={self.folder}",
             f"--IdentityProvider.token={self.token}", "--ServerApp.allow_root=True",
             # Nothing asked of the internet: no news, no update check, no extension index.
             "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            env=environment, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.folder)
        self._wait_until_up()

    def api(self, route: str, method: str = "GET") -> object:
        request = urllib.request.Request(f"{self.url}api/{route}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with _opener.open(request, timeout=10) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab stopped: see {self.log.name}")
            try:
                self.api("status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within 120 s: see {self.log.name}")

    def stop(self) -> None:
        for kernel in self.api("kernels"):
            self.api(f"kernels/{kernel['id']}", "DELETE")  # each kernel stopped by the server
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def jupyter(endpoint, tmp_path_factory):
    lab = JupyterLab(endpoint, tmp_path_factory.mktemp("jupyterlab"))
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    # Only JupyterLab's address is reached; 127.0.0.1 (the kernel's, the S3 server's) and
    # every other one go to a proxy that is not there.
    driver = chromium.start(str(tmp_path_factory.mktemp("chromium")), "--window-size=1400,1000",
                            "--proxy-server=http://127.0.0.1:9",
                            f"--proxy-bypass-list=<-loopback>;{HOST}", page_load_seconds=120)
    yield driver
    driver.quit()  # ends chromium and chromedriver


class Page:
    """The notebook open in the browser, with the few gestures the tests make."""

    def __init__(self, browser, jupyter: JupyterLab, name: str) -> None:
        self.browser, self.jupyter = browser, jupyter
        self.wait = WebDriverWait(browser, 90)
        # A workspace of its own: this notebook alone, whose kernel the status bar shows.
        browser.get(f"{jupyter.url}lab/workspaces/{Path(name).stem}/tree/{name}"
                    f"?reset&token={jupyter.token}")
        self.until(lambda: "| Idle" in self.find(".jp-StatusBar-Widget").text
                   and self.find(".jp-Notebook .cm-content").is_displayed(),
                   "the notebook, its kernel started")

    def run_cell(self, index: int) -> None:
        editor = self.browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .cm-content")[index]
        self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", editor)
        editor.click()
        ActionChains(self.browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(
            Keys.SHIFT).perform()

    def find(self, selector: str):
        return self.browser.find_element(By.CSS_SELECTOR, selector)

    def part(self, name: str):
        return self.browser.find_element(By.CSS_SELECTOR, f".s3tools-explorer [data-part='{name}']")

    def text(self, name: str) -> str:
        return self.part(name).text

    def click(self, selector: str) -> None:
        self.wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, selector))
        self.browser.find_element(By.CSS_SELECTOR, selector).click()

    def until(self, condition, what: str):
        try:
            return self.wait.until(lambda driver: condition(), message=what)
        except TimeoutException:
            self.shot("jupyter-failed")  # what the browser showed instead
            raise

    def cells(self) -> list[str]:
        return [editor.text for editor in self.browser.find_elements(
            By.CSS_SELECTOR, ".jp-Notebook .jp-Cell .jp-InputArea .cm-content")]

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_the_widget_in_jupyterlab_works_over_the_kernel_alone(seed, jupyter, browser, endpoint):
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: put(seed, f"scans/file-{n:04}.csv", "a,b\n1,2\n"), range(1010)))
    put(seed, "survey/people.csv", "id,name,town\n1,Ann,York\n2,Bob,\n3,Cy,Leeds\n")
    put(seed, "survey/evil\u202egpj.csv", "a\n1\n")  # a name that reads as another
    with pytest.raises(WebDriverException, match="ERR_PROXY_CONNECTION_FAILED"):
        browser.get(endpoint)  # the S3 server, on 127.0.0.1: out of this browser's reach
    page = Page(browser, jupyter, notebook(jupyter.folder, "explore.ipynb", RUN_EXPLORER))
    page.run_cell(0)
    page.until(lambda: browser.find_elements(By.CSS_SELECTOR, ".s3tools-explorer .status")
               and page.text("status") == "1 bucket", "the buckets")
    badge = browser.find_element(By.CSS_SELECTOR, ".s3tools-explorer .badge").text
    assert badge in s3tools.access.LEVELS
    assert not browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea iframe")
    page.shot("jupyter-1-buckets")

    page.click(f".s3tools-explorer a[data-path='{BUCKET}/']")
    page.click(f".s3tools-explorer a[data-path='{BUCKET}/scans/']")
    page.until(lambda: "there are more" in page.text("status"), "the folder's first page")
    assert page.text("status") == "1,000 entries shown; there are more."
    page.part("more").click()
    page.until(lambda: page.text("status") == "1,010 entries.", "the folder's second page")
    assert not page.part("more").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, f"[data-path='{BUCKET}/scans/file-1009.csv']")

    page.click(".s3tools-explorer nav a:nth-of-type(2)")  # the bucket
    page.click(f".s3tools-explorer a[data-path='{BUCKET}/survey/']")
    page.until(lambda: page.text("status") == "2 entries.", "the folder survey")
    names = page.part("listing-body").find_elements(By.CSS_SELECTOR, ".name")
    assert [name.text for name in names] == ["evil\\u202egpj.csv", "people.csv"]
    assert [mark.text for mark in page.part("listing-body").find_elements(
        By.CSS_SELECTOR, ".escape")] == ["\\u202e"]
    search = page.part("search-text")
    search.send_keys("PEOPLE", Keys.ENTER)
    page.until(lambda: page.text("status") == "1 found.", "the search")

    page.click(f".s3tools-explorer button[data-path='{BUCKET}/survey/people.csv']")
    page.until(lambda: browser.find_elements(By.CSS_SELECTOR, ".s3tools-explorer .preview td"),
               "the preview")
    preview = page.part("preview")
    assert [cell.text for cell in preview.find_elements(By.TAG_NAME, "th")] == [
        "id", "name", "town"]
    assert [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in preview.find_elements(By.CSS_SELECTOR, "tbody tr")] == [
        ["1", "Ann", "York"], ["2", "Bob", ""], ["3", "Cy", "Leeds"]]

    line = f's3tools.s3_path_to_df("{BUCKET}/survey/people.csv")'
    page.part("select").click()
    page.until(lambda: page.text("code-python") == line, "the code")
    assert page.text("code-r") == f's3_path_to_df("{BUCKET}/survey/people.csv")'
    # Shift+Enter left an empty cell at the end; the line's cell is right below the widget's.
    page.until(lambda: page.cells() == [RUN_EXPLORER, line, ""], "the new cell")
    assert page.text("code-note") == "The Python line is also in a new cell below, ready to run."
    page.shot("jupyter-2-selected")
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(
        By.CSS_SELECTOR, ".s3tools-explorer"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel").screenshot(
        str(ARTIFACTS / "explorer-jupyterlab.png"))

    page.part("download").click()
    page.until(lambda: page.text("saved").startswith("Saved as"), "the download")
    saved = jupyter.folder / "people.csv"
    assert str(saved) in page.text("saved")
    assert saved.read_bytes() == b"id,name,town\n1,Ann,York\n2,Bob,\n3,Cy,Leeds\n"

    page.run_cell(1)  # the new cell, as it stands
    page.until(lambda: "Leeds" in browser.find_elements(
        By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")[1].text, "the frame")
    frame = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")[1].find_element(
        By.CSS_SELECTOR, ".jp-OutputArea table")
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in frame.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert [row[:2] for row in rows] == [["1", "Ann"], ["2", "Bob"], ["3", "Cy"]]
    assert (rows[0][2], rows[2][2]) == ("York", "Leeds")
    problems = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"
                and "s3tools" in entry["message"]]
    assert not problems, problems


def test_without_the_widget_the_page_comes_through_jupyter_server_proxy(seed, jupyter, browser):
    put(seed, "survey/people.csv", "id,name\n1,Ann\n")
    page = Page(browser, jupyter, notebook(jupyter.folder, "fallback.ipynb", WITHOUT_WIDGET))
    page.run_cell(0)
    frame = page.until(lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea iframe"),
                       "the page's frame")[0]
    said = browser.find_element(By.CSS_SELECTOR, ".jp-OutputArea-output pre").text
    assert said.startswith('s3tools: the notebook widget needs anywidget '
                           '(pip install "s3tools[jupyter]")')
    assert "jupyter-server-proxy" in said and len(said.splitlines()) == 1
    assert frame.get_attribute("src").startswith(f"{jupyter.url}proxy/")
    assert not browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea .s3tools-explorer")
    browser.switch_to.frame(frame)
    try:
        page.until(lambda: browser.find_elements(By.ID, "status")
                   and browser.find_element(By.ID, "status").text == "1 bucket",
                   "the buckets in the page")
        browser.find_element(By.CSS_SELECTOR, f"a[data-path='{BUCKET}/']").click()
        page.until(lambda: browser.find_element(By.ID, "status").text == "1 entry.",
                   "the bucket's folder")
    finally:
        browser.switch_to.default_content()
    page.shot("jupyter-3-fallback")
