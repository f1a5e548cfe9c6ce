"""`cmpacket serve`: the live preview, over real HTTP, with real builds and a real browser."""

from __future__ import annotations

import http.client
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from cmpacket.templates import BUILTIN_ROOT
from tests.conftest import EPOCH, copy_sample

pytestmark = pytest.mark.e2e

CHAPTER = "policies/grievances.txt.j2"
BUILD_TIMEOUT = 400.0  # generous: the machine may be busy; every wait polls for its condition
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
STATUS_KEYS = {"build", "state", "ready", "error", "findings", "documents", "packet"}


def wait_for(condition: Callable[[], Any], timeout: float = BUILD_TIMEOUT, what: str = "") -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what or condition}")


def status(url: str) -> dict[str, Any]:
    return httpx.get(url + "api/status", timeout=30).json()


def settled(url: str, after: int) -> Callable[[], dict[str, Any] | None]:
    """A condition: a build newer than `after` finished (ok or error) and none is under way."""

    def check() -> dict[str, Any] | None:
        s = status(url)
        return s if s["build"] > after and s["state"] != "building" else None

    return check


def with_override(base: Path) -> Path:
    """A copy of the sample agency with its own copy of a policy chapter to edit."""
    folder = copy_sample(base)
    target = folder / "templates" / CHAPTER
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BUILTIN_ROOT / CHAPTER, target)
    return folder


def edit_chapter(folder: Path, text: str) -> None:
    """Replace the chapter the way an editor saves: a new file renamed over the old one."""
    target = folder / "templates" / CHAPTER
    tmp = target.with_name(target.name + ".saving.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def document_text(url: str, kind: str) -> str:
    """The text of one document's pages, read from the packet the server offers for download."""
    s = status(url)
    doc = next(d for d in s["documents"] if d["kind"] == kind)
    reader = PdfReader(io.BytesIO(httpx.get(s["packet"], timeout=60).content))
    pages = reader.pages[doc["first_page"] - 1 : doc["last_page"]]
    return " ".join((p.extract_text() or "") for p in pages)


@pytest.fixture(scope="module")
def module_env() -> Iterator[None]:
    # the autouse fixture of conftest is per test; a module's server needs the same date (its
    # cache is the session's: conftest's _session_cache)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        yield


class Running:
    def __init__(self, preview: Any, folder: Path, url: str) -> None:
        self.preview, self.folder, self.url = preview, folder, url
        self.port = int(url.rstrip("/").rsplit(":", 1)[1])


def start_preview(folder: Path) -> Running:
    from cmpacket.serve._server import Preview

    preview = Preview(folder, port=0, quiet=True)
    url = preview.start()
    wait_for(settled(url, 0), what="the first build")
    return Running(preview, folder, url)


@pytest.fixture(scope="module")
def server(module_env: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    running = start_preview(with_override(tmp_path_factory.mktemp("serve")))
    yield running
    running.preview.stop()


def raw_get(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, bytes]:
    """GET exactly `path` (no client-side normalization of `..` or %2e)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- the page and its JSON ----------------------------------------------------------------------


def test_status_follows_the_contract(server: Running) -> None:
    s = status(server.url)
    assert set(s) == STATUS_KEYS
    assert s["build"] >= 1 and s["state"] == "ok" and s["error"] is None
    assert s["ready"] is True  # the sample agency meets its profile
    assert isinstance(s["findings"], list)
    docs = s["documents"]
    assert all(set(d) == {"title", "kind", "first_page", "last_page"} for d in docs)
    assert [d["kind"] for d in docs[:3]] == ["cover", "index", "readiness-report"]
    assert docs[0]["first_page"] == 1
    for before, after in zip(docs, docs[1:], strict=False):  # packet order, no gaps
        assert after["first_page"] == before["last_page"] + 1
    assert s["packet"].startswith(server.url + "packet/")
    assert s["packet"].endswith("-packet.pdf")


def test_status_shows_findings_like_validate(module_env: None, tmp_path: Path) -> None:
    from cmpacket import api

    def edit(data: dict[str, Any]) -> None:
        data["staff"][3]["caseload"] = 45  # over the limit: an error finding

    folder = copy_sample(tmp_path, edit)
    expected = api.validate(folder).as_dict()["findings"]
    running = start_preview(folder)
    try:
        s = status(running.url)
        assert s["findings"] == expected
        assert s["findings"], "the edit should have produced a finding"
        page = httpx.get(running.url, timeout=30).text
        for f in expected:
            assert f["code"] in page and f["path"] in page
    finally:
        running.preview.stop()


def test_page_lists_documents_in_packet_order_with_lazy_page_images(server: Running) -> None:
    from markupsafe import escape  # as the page itself escapes (Jinja)

    response = httpx.get(server.url, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    html = response.text
    s = status(server.url)
    positions = [html.index(str(escape(d["title"]))) for d in s["documents"]]
    assert positions == sorted(positions)
    images = re.findall(r'<img src="(/pages/[0-9a-f]{16}\.png)" loading="lazy"', html)
    assert len(images) == s["documents"][-1]["last_page"]
    assert "Readiness findings" in html
    # each section is headed as the packet's outline names it ("B. Statement of assurances",
    # the section's own title, once; the others with their letter)
    heads = re.findall(r'<h2 class="section-head" id="sec-\w+" data-content="([^"]*)"', html)
    assert "B. Statement of assurances" in heads and "A. Agency and application" in heads, heads
    assert not [h for h in heads if re.match(r"([A-G])\. \1\. ", h)], heads
    # nothing is fetched from elsewhere: only this server's own scripts, styles and images
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        body = httpx.get(server.url + asset.lstrip("/"), timeout=30).text
        body = body.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a fetch
        assert "http://" not in body and "https://" not in body
    png = httpx.get(server.url + images[0].lstrip("/"), timeout=60)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    from PIL import Image

    with Image.open(io.BytesIO(png.content)) as image:
        assert image.size == (1224, 1584)  # a letter page at 144 dpi
    text = httpx.get(server.url + images[0].replace("/pages/", "text/")[:-4], timeout=60).text
    assert "Case Management Agency" in text  # the cover's text


def test_packet_downloads(server: Running) -> None:
    s = status(server.url)
    response = httpx.get(s["packet"], timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert s["packet"].rsplit("/", 1)[1] in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == s["documents"][-1]["last_page"]
    assert "manifest.json" in reader.attachments
    assert "DRAFT" in (reader.pages[0].extract_text() or "")


# -- live rebuilds ------------------------------------------------------------------------------


def test_a_change_on_disk_is_rebuilt(server: Running) -> None:
    before = status(server.url)
    original = (server.folder / "templates" / CHAPTER).read_text(encoding="utf-8")
    edit_chapter(server.folder, original + "\nOur ombudsman is called Wrenfield.\n")
    after = wait_for(settled(server.url, before["build"]), what="the rebuild")
    assert after["state"] == "ok"
    assert "Wrenfield" in document_text(server.url, "policy-manual")
    view = httpx.get(server.url + "api/view", timeout=30).json()
    changed = [i for i in view["items"] if i["id"][4:] in view["changed"]]
    assert any('data-kind="policy-manual"' in i["html"] for i in changed)
    if after["documents"][-1]["last_page"] == before["documents"][-1]["last_page"]:
        assert len(changed) == 1  # the other documents' pages are the same: nothing to reload


def test_template_error_is_shown_then_recovered(server: Running) -> None:
    target = server.folder / "templates" / CHAPTER
    good = target.read_text(encoding="utf-8")
    lines = good.splitlines()
    last_good = status(server.url)

    # a syntax error: an {% if %} that never ends
    broken = [*lines[:2], lines[2] + " {% if agency.legal_name %}", *lines[3:]]
    edit_chapter(server.folder, "\n".join(broken) + "\n")
    s = wait_for(settled(server.url, last_good["build"]), what="the failed build")
    assert s["state"] == "error" and s["ready"] is False
    assert s["error"]["file"] == f"templates/{CHAPTER}"
    assert isinstance(s["error"]["line"], int) and s["error"]["line"] >= 3
    assert "syntax error" in s["error"]["message"]
    assert s["documents"] == last_good["documents"]  # the last good build stays on screen
    assert httpx.get(s["packet"], timeout=60).status_code == 200
    page = httpx.get(server.url, timeout=30).text
    assert f"templates/{CHAPTER}" in page and "Template error" in page
    assert "{% if agency.legal_name %}" in page.replace("&#39;", "'")  # the source excerpt

    # an undefined variable, on a known line
    undefined = [*lines[:4], "Contact {{ grievance_officer_name }} first.", *lines[4:]]
    edit_chapter(server.folder, "\n".join(undefined) + "\n")
    s = wait_for(settled(server.url, s["build"]), what="the second failed build")
    assert s["state"] == "error"
    assert s["error"] == {
        "file": f"templates/{CHAPTER}",
        "line": 5,
        "message": "'grievance_officer_name' is undefined",
    }
    page = httpx.get(server.url, timeout=30).text
    assert "Contact {{ grievance_officer_name }} first." in page
    assert '<span class="ln here"><span class="n">5</span>' in page

    # the next good save recovers
    edit_chapter(server.folder, good)
    s = wait_for(settled(server.url, s["build"]), what="the recovering build")
    assert s["state"] == "ok" and s["error"] is None
    assert s["build"] == last_good["build"] + 3


# -- safety -------------------------------------------------------------------------------------


ESCAPES = [
    "/static/../../../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/pages/..%2f..%2f..%2fetc%2fpasswd",
    "/text/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/packet/../../../etc/passwd",
    "/packet/%2e%2e/passwd",
    "//etc/passwd",
    "/etc/passwd",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/app.css/../../../../etc/passwd",
    "/agency.yaml",
    "/templates/" + CHAPTER,
    "/static/__init__.py",
    "/static/_app.py",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_paths_outside_the_outputs_are_refused(server: Running, path: str) -> None:
    code, body = raw_get(server.port, path)
    assert code in (400, 403, 404), (path, code)
    assert b"root:" not in body and b"agency:" not in body and b"import" not in body


def test_symlinks_and_unknown_ids_reach_nothing(server: Running, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0 secret\n")
    store = server.preview.builder.store.root
    fake = "0123456789abcdef"
    (store / "packets" / f"{fake}.pdf").symlink_to(secret)
    (store / "pages" / "fedcba9876543210.png").symlink_to(secret)
    (server.folder / "uploads" / "link.pdf").symlink_to(secret)
    for path in (
        f"/packet/{fake}/{fake}.pdf",
        f"/packet/{fake}/x-packet.pdf",
        "/pages/0000000000000000.png",
        "/text/0000000000000000",
        f"/pages/{'0' * 16}/../fedcba9876543210.png",
        "/uploads/link.pdf",
        "/static/link.pdf",
    ):
        code, body = raw_get(server.port, path)
        assert code in (400, 403, 404), (path, code)
        assert b"secret" not in body
    # a page image is served by content id; a symlink planted in the cache is not followed
    code, body = raw_get(server.port, "/pages/fedcba9876543210.png")
    assert code == 404 and b"secret" not in body
    (server.folder / "uploads" / "link.pdf").unlink()


def test_other_host_names_are_refused(server: Running) -> None:
    # a web page that rebinds its own name to 127.0.0.1 must not read the preview
    code, _ = raw_get(server.port, "/api/status", host=f"attacker.example:{server.port}")
    assert code == 400
    code, _ = raw_get(server.port, "/api/status", host=f"localhost:{server.port}")
    assert code == 200


def test_events_announce_builds(server: Running) -> None:
    with httpx.stream("GET", server.url + "api/events", timeout=30) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("data: "):
                import json

                announced = json.loads(line[6:])
                break
    assert set(announced) == STATUS_KEYS
    assert announced["build"] == status(server.url)["build"]


# -- the command --------------------------------------------------------------------------------


def _interruptible() -> None:
    """In the server's process: Ctrl-C interrupts it even when the suite runs where SIGINT is
    ignored (a shell's background job), which a child would otherwise inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def serve_process(folder: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cmpacket", "serve", str(folder), "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith("Serving"):
            return process, "".join(seen)
    process.wait(timeout=30)
    pytest.fail(f"the server did not start: {''.join(seen)}")


def listening_addresses(port: int) -> set[str]:
    """Local addresses listening on `port`, from /proc/net/tcp (IPv4)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            raw = bytes.fromhex(address)[::-1]
            found.add(".".join(str(b) for b in raw))
    return found


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()  # never left running after the test
        process.communicate()
        raise
    return process.returncode, err


def test_listens_on_loopback_only_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    process, err = serve_process(copy_sample(tmp_path))
    try:
        url = re.search(r"http://127\.0\.0\.1:(\d+)/", err)
        assert url, err
        port = int(url.group(1))
        assert httpx.get(url.group(0) + "api/status", timeout=30).status_code == 200
        if Path("/proc/net/tcp").exists():
            assert listening_addresses(port) == {"127.0.0.1"}
        assert "warning" not in err
    finally:
        code, rest = stop(process)  # very likely during the first build
    assert code in (0, 130)
    assert "Traceback" not in rest and "Exception" not in rest
    assert rest.strip().endswith("stopped")


def test_another_host_prints_a_warning(tmp_path: Path) -> None:
    process, err = serve_process(copy_sample(tmp_path), "--host", "127.0.0.2")
    code, rest = stop(process)
    assert "warning: listening on 127.0.0.2" in err
    assert code in (0, 130) and "Traceback" not in rest


def test_a_port_in_use_is_a_usage_error(tmp_path: Path, cli: Callable[..., Any]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = cli("serve", copy_sample(tmp_path), "--port", str(port))
    assert result.code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.err and "--port" in result.err


def test_a_folder_without_agency_yaml_is_a_usage_error(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    result = cli("serve", tmp_path)
    assert result.code == 2 and "no agency.yaml" in result.err


# -- parts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "watched"),
    [
        ("agency.yaml", True),
        ("staff.csv", True),
        ("uploads/new-licence.pdf", True),
        ("templates/policies/grievances.txt.j2", True),
        ("templates/policies/.grievances.txt.j2.swp", False),
        ("templates/policies/grievances.txt.j2~", False),
        ("templates/policies/#grievances.txt.j2#", False),
        ("templates/policies/4913", False),
        ("templates/word/.~lock.policy-manual.docx#", False),
        ("templates/word/~$licy-manual.docx", False),
        (".git/index", False),
        ("out/prairie-care-packet.pdf", False),
    ],
)
def test_watcher_ignores_outputs_and_editor_files(tmp_path: Path, name: str, watched: bool) -> None:
    from watchfiles import Change

    from cmpacket.serve._watch import InputsFilter

    folder = tmp_path / "agency"
    check = InputsFilter([folder / "out", tmp_path / "server"])
    assert check(Change.modified, str(folder / name)) is watched
    assert check(Change.modified, str(tmp_path / "server" / "view" / "x.png")) is False


def test_template_error_carries_file_line_and_source(tmp_path: Path) -> None:
    from cmpacket.errors import TemplateError
    from cmpacket.render import render_template
    from cmpacket.templates import TemplateRegistry

    (tmp_path / "a.txt.j2").write_text("one\ntwo {% if x %}\nthree\n")
    (tmp_path / "b.txt.j2").write_text("one\n{{ missing }}\n")
    registry = TemplateRegistry([tmp_path, BUILTIN_ROOT])
    with pytest.raises(TemplateError) as syntax:
        render_template(registry, "a.txt.j2", {})
    assert syntax.value.path == str((tmp_path / "a.txt.j2").resolve())
    assert syntax.value.file == str(tmp_path / "a.txt.j2")
    assert isinstance(syntax.value.line, int)
    assert syntax.value.detail.startswith("syntax error: ")
    assert str(syntax.value).startswith(f"{tmp_path / 'a.txt.j2'}:{syntax.value.line}: syntax")
    with pytest.raises(TemplateError) as undefined:
        render_template(registry, "b.txt.j2", {})
    assert undefined.value.line == 2 and undefined.value.detail == "'missing' is undefined"


# -- a real browser -----------------------------------------------------------------------------


@pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)",
)
def test_browser_shows_a_template_change_without_reloading(
    module_env: None, tmp_path: Path
) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    running = start_preview(with_override(tmp_path))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(arg)
    # an explicit driver path: Selenium Manager never runs, nothing is downloaded
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    manual = "article[data-kind='policy-manual']"
    try:
        driver.set_script_timeout(60)
        driver.get(running.url)
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, manual), 60, "the manual")
        driver.execute_script(
            "window.__kept = 'same page';"
            f'document.querySelector("{manual}").scrollIntoView();'
            "window.scrollBy(0, 300);"
        )
        images_before = driver.execute_script(
            f'return [...document.querySelectorAll("{manual} img")].map(i => i.src)'
        )
        driver.find_element(By.CSS_SELECTOR, f"{manual} details.doc-text summary").click()
        text = f'return document.querySelector("{manual} pre.text").textContent'
        wait_for(lambda: "grievance" in driver.execute_script(text).lower(), 60, "the text")
        # where the reader is now (the click scrolled to the text, at the end of the manual)
        top_before = driver.execute_script(
            f'return document.querySelector("{manual}").getBoundingClientRect().top'
        )

        original = (running.folder / "templates" / CHAPTER).read_text(encoding="utf-8")
        edit_chapter(running.folder, original + "\nAppeals go to the Quillhaven panel.\n")

        wait_for(lambda: "Quillhaven" in driver.execute_script(text), what="the new text")
        assert driver.execute_script("return window.__kept") == "same page"  # not reloaded
        images_after = driver.execute_script(
            f'return [...document.querySelectorAll("{manual} img")].map(i => i.src)'
        )
        assert images_after != images_before
        badge = driver.find_element(By.CSS_SELECTOR, f"{manual} .badge").text
        assert badge.startswith("changed in build")
        assert "Policies and procedures manual" in driver.find_element(By.ID, "last-build").text
        top_after = driver.execute_script(
            f'return document.querySelector("{manual}").getBoundingClientRect().top'
        )
        assert abs(top_after - top_before) <= 2  # the reader's place is kept
        state = driver.find_element(By.ID, "state").text
        assert state.startswith("Up to date")
    finally:
        driver.quit()
        running.preview.stop()
