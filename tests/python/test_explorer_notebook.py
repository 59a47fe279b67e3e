"""The explorer in a notebook, without a browser: the widget's answers, its downloads, the
fallback to the web page, and the one front end both share.

The widget's messages are what its front end sends over the comm; the
answers are those of the web page (one module answers both). A real
JupyterLab with a browser is in test_explorer_jupyter.py.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.request

import pytest
from conftest import BUCKET, put

from s3tools import config
from s3tools.explorer import Explorer, assets, notebook

anywidget = pytest.importorskip("anywidget", reason="anywidget is not installed")
from s3tools.explorer.widget import WITHOUT_WIDGETS, NotebookExplorer  # noqa: E402

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Conversation:
    """A notebook explorer and the messages its widget sent back, as its front end hears them."""

    def __init__(self, monkeypatch, downloads) -> None:
        self.sent: list[dict] = []
        self.explorer = NotebookExplorer(page_size=300, downloads=str(downloads))
        monkeypatch.setattr(self.explorer.widget, "send",
                            lambda content, buffers=None: self.sent.append(content))
        self.count = 0

    def ask(self, question: str, **request: str) -> dict:
        """Send one question as the front end does and wait for its answer."""
        self.count += 1
        asked = {"kind": "s3tools-question", "id": f"view-{self.count}", "question": question,
                 "request": request}
        self.explorer.widget._heard(self.explorer.widget, asked, [])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for reply in self.sent:
                if reply["id"] == asked["id"]:
                    assert reply["kind"] == "s3tools-answer"
                    assert "Traceback" not in json.dumps(reply)
                    return reply
            time.sleep(0.01)
        raise AssertionError(f"no answer to {question}")


@pytest.fixture
def conversation(seed, monkeypatch, tmp_path):
    talk = Conversation(monkeypatch, tmp_path / "notebooks")
    (tmp_path / "notebooks").mkdir()
    yield talk
    talk.explorer.stop()


def from_page(explorer: Explorer, question: str, method: str = "GET", **request: str) -> dict:
    query = urllib.parse.urlencode({**request, "token": explorer.token})
    asked = urllib.request.Request(f"http://127.0.0.1:{explorer.port}/api/{question}?{query}",
                                   method=method, data=b"" if method == "POST" else None)
    with _opener.open(asked, timeout=60) as answer:
        return json.load(answer)


def test_the_widget_gets_the_answers_the_page_gets(seed, conversation):
    for n in range(310):
        put(seed, f"scans/file-{n:04}.csv", "a,b\n1,2\n")
    put(seed, "survey/people.csv", "id,name\n1,Ann\n2,Bob\n")
    page = Explorer(page_size=300)
    try:
        first = conversation.ask("list", path=f"{BUCKET}/scans/")["answer"]
        assert first == from_page(page, "list", path=f"{BUCKET}/scans/")
        assert len(first["entries"]) == 300 and first["next"]
        rest = conversation.ask("list", path=f"{BUCKET}/scans/", after=first["next"])["answer"]
        assert [entry["name"] for entry in rest["entries"]][-1] == "file-0309.csv"
        assert rest["next"] is None
        people = f"{BUCKET}/survey/people.csv"
        for question, request in (("buckets", {}), ("preview", {"path": people}),
                                  ("list", {"path": f"{BUCKET}/", "search": "PEOPLE"})):
            assert conversation.ask(question, **request)["answer"] == from_page(page, question,
                                                                                **request)
        chosen = conversation.ask("select", path=f"{BUCKET}/survey/people.csv")["answer"]
        assert chosen == from_page(page, "select", "POST", path=f"{BUCKET}/survey/people.csv")
        assert chosen["python"] == f's3tools.s3_path_to_df("{BUCKET}/survey/people.csv")'
        assert conversation.explorer.selected == [f"{BUCKET}/survey/people.csv"]
    finally:
        page.stop()


def test_the_widget_says_errors_in_s3tools_words(seed, conversation):
    said = conversation.ask("preview", path=f"{BUCKET}/nothing-here.csv")
    assert "answer" not in said and f"{BUCKET}/nothing-here.csv" in said["error"]
    assert conversation.ask("preview", path="")["error"]
    assert conversation.ask("no-such-question")["error"].startswith("s3tools failed unexpectedly")


def test_download_saves_next_to_the_notebook_and_never_replaces(seed, conversation, tmp_path):
    put(seed, "survey/people.csv", "id,name\n1,Ann\n")
    folder = tmp_path / "notebooks"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (folder / "people (1).csv").symlink_to(victim)  # planted at a name the download could take
    said = [conversation.ask("download", path=f"{BUCKET}/survey/people.csv")["answer"]
            for _ in range(2)]
    assert [answer["local"] for answer in said] == [str(folder / "people.csv"),
                                                    str(folder / "people (2).csv")]
    assert said[0]["message"] == f"Saved as {folder / 'people.csv'}."
    assert (folder / "people.csv").read_text() == (folder / "people (2).csv").read_text() == (
        "id,name\n1,Ann\n")
    assert victim.read_text() == "precious" and (folder / "people (1).csv").is_symlink()


def test_a_downloaded_name_cannot_hide_steer_or_leave_the_folder(seed, conversation, tmp_path):
    keys = (".bashrc", "evil\u202egpj.csv", "x/notes\u2066\u200b.txt")
    for key in keys:
        put(seed, key, "data")
    names = sorted(os.path.basename(conversation.ask("download", path=f"{BUCKET}/{key}")
                                    ["answer"]["local"]) for key in keys)
    assert names == ["bashrc", "evil_u202egpj.csv", "notes_u2066_u200b.txt"]
    assert sorted(os.listdir(tmp_path / "notebooks")) == names


def test_a_front_end_without_widgets_is_told_what_to_install(conversation):
    bundle, _ = conversation.explorer.widget._repr_mimebundle_()
    assert bundle["text/plain"] == WITHOUT_WIDGETS
    assert 'pip install "s3tools[jupyter]"' in WITHOUT_WIDGETS
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert conversation.explorer.url is None and conversation.explorer.running
    conversation.explorer.stop()
    assert not conversation.explorer.running


def test_without_anywidget_the_notebook_gets_the_page_and_a_line_saying_why(
        seed, monkeypatch, capsys):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    monkeypatch.setitem(sys.modules, "anywidget", None)
    monkeypatch.delitem(sys.modules, "s3tools.explorer.widget")
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    explorer = notebook.show(0)
    try:
        assert isinstance(explorer, Explorer)
        said = capsys.readouterr().out
        assert said == (
            's3tools: the notebook widget needs anywidget (pip install "s3tools[jupyter]"); '
            f"meanwhile the explorer below is its web page on 127.0.0.1:{explorer.port}, "
            "which only a browser on this machine can open.\n")
        assert [frame.src for frame in shown] == [explorer.url]
    finally:
        explorer.stop()


def test_under_jupyterhub_the_page_goes_through_jupyter_server_proxy(seed, monkeypatch):
    explorer = Explorer()
    try:
        monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ann/")
        address, proxied = notebook.page_address(explorer)
        if proxied:  # jupyter-server-proxy is installed (make venv installs it)
            assert address == f"/user/ann/proxy/{explorer.port}/?token={explorer.token}"
            assert "through jupyter-server-proxy" in notebook.fallback_message(explorer, True)
        monkeypatch.setattr(notebook.importlib.util, "find_spec", lambda name: None)
        assert notebook.page_address(explorer) == (explorer.url, False)
        assert "(or jupyter-server-proxy, for the page through JupyterHub)" in (
            notebook.fallback_message(explorer, False))
        monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX")
        assert notebook.page_address(explorer) == (explorer.url, False)
    finally:
        explorer.stop()


@pytest.mark.parametrize(("value", "prefix"), [
    ("/user/ann/", "/user/ann/"), ("/user/ann", "/user/ann/"), ("user/ann", "/user/ann/"),
    ("/user//ann/", "/user/ann/"),
    ("/", "/"), ("", None), ("  ", None)])
def test_the_jupyterhub_prefix_is_read_in_one_place(monkeypatch, value, prefix):
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", value)
    assert config.value("jupyterhub_prefix") == prefix


def test_page_and_widget_share_one_front_end_with_relative_addresses():
    page = assets.page().decode()
    script, style = assets.widget_module(), assets.stylesheet()
    assert "/* explorer.js */" not in page and "/* explorer.css */" not in page
    shared_script = script.split("\nexport default")[0]
    assert "function s3toolsExplorer(root, backend)" in page and "s3toolsExplorer(root, {" in script
    assert style in page and shared_script.split("// The notebook widget's part")[0] in page
    # Under a path prefix (RStudio Server, jupyter-server-proxy) only relative addresses work,
    # and nothing is fetched from elsewhere.
    assert not re.search(r"""(fetch\(|href=|src=)\s*[`'"]?/""", page)
    assert "api/${question}" in page and "api/download?" in page
    assert not re.search(r"(src|href)=[\"']https?:", page)
    # In JupyterLab the sheet sits in JupyterLab's own page: every rule is the explorer's.
    for rule in re.findall(r"(?m)^([^\s{}/@][^{]*)\{", style):
        assert all(part.strip().startswith(".s3tools-explorer") for part in rule.split(",")), rule
