"""End to end in a real browser: Neo4j Browser, the casegraph guide, one saved query run from it.

Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium opens
the Neo4j Browser that the local test server serves and connects with the password. With
the files of ``casegraph browser serve --background``: ``:style`` applies the style sheet,
and the graph view of the FACILITATED claims shows "FACILITATED · alleged" on the canvas
(read from its SVG; tests/artifacts/browser-e2e-graph.png), and a click on one of them
opens the inspector, whose first property names the source the seed cites for it
(tests/artifacts/browser-e2e-claim-sources.png); the favorites zip, dropped on
the window, becomes a folder of favorites per category; the guide's second slide is the
legend;
``:play`` opens the guide at the international-cooperation question, whose preset sets
the parameters and whose query, clicked into the editor and run, lists the five
cooperating states in the result table. The page is saved as tests/artifacts/browser-e2e.png.
Then the library's defaults are set (what connecting to casegraph's own server runs) and a
favorite from the zip, run as it is, lists the states (tests/artifacts/browser-e2e-favorite.png);
a query that answers with a graph is drawn, its relationships captioned with their status
(tests/artifacts/browser-e2e-graph-answer.png).

Skipped when Chromium, its driver or Selenium is missing (fails instead with
``CASEGRAPH_REQUIRE_BROWSER=1``), and when the session's Neo4j is not the local kind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from neo4j import Driver

from loader.browser.files import FIRST_QUERY_SLIDE
from loader.queries.library import library_preset, load_library
from loader.server import localserver
from tests.conftest import ARTIFACTS, Neo4jServer
from tests.helpers import ROOT, casegraph, free_port, harness, load_seed

pytestmark = pytest.mark.neo4j

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1400,1100",
)
QUERY = "international-cooperation"
FAVORITE = "cooperating-states"  # run as it is, after the library's defaults
# coco's five states (ISO 3166's English names) and Archetyp's Romania, Spain, Sweden and US
STATES = ("Bulgaria", "Germany", "Hungary", "Lithuania", "Netherlands", "Romania", "Spain")
WAIT = 20
# What a drag-and-drop of the favorites zip onto Browser's window dispatches.
DROP_ZIP = """
const done = arguments[arguments.length - 1];
fetch(arguments[0]).then(response => response.blob()).then(blob => {
  const data = new DataTransfer();
  data.items.add(new File([blob], 'casegraph-favorites.zip', {type: 'application/zip'}));
  const target = document.querySelector('.filedrop');
  const drop = {dataTransfer: data, bubbles: true, cancelable: true};
  target.dispatchEvent(new DragEvent('drop', drop));
  done('dropped');
}).catch(error => done(String(error)));
"""


def _missing() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            return f"no {path}: apt-get install chromium chromium-driver (package {package})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "Selenium is not installed: pip install 'selenium>=4.20,<5'"
    return None


def facilitated_source_titles() -> set[str]:
    """The titles of the sources the seed's FACILITATED claims cite, read from the seed
    files themselves (not from what casegraph wrote)."""
    records = [
        yaml.safe_load(path.read_text("utf-8")) or {} for path in (ROOT / "seed").rglob("*.yaml")
    ]
    titles = {
        node["id"]: node["title"]
        for data in records
        for node in data.get("nodes") or []
        if node.get("type") == "Source"
    }
    cited = {
        source if isinstance(source, str) else source["id"]
        for data in records
        for rel in data.get("relationships") or []
        if rel.get("type") == "FACILITATED"
        for source in rel["sources"]
    }
    assert cited
    return {titles[source] for source in cited}


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if harness("CASEGRAPH_REQUIRE_BROWSER"):
            pytest.fail(f"{reason} (CASEGRAPH_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tmp_path_factory.mktemp("chromium-profile")
    options.add_argument(f"--user-data-dir={profile}")
    # An explicit driver path: Selenium Manager never looks for (or downloads) one.
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def case(neo4j_server: Neo4jServer, driver: Driver) -> Neo4jServer:
    """The local test server, with seed/ loaded into an empty database."""
    if neo4j_server.home is None:
        pytest.skip(f"needs the local test server and its Browser (this one: {neo4j_server.kind})")
    return load_seed(neo4j_server, driver)


@pytest.fixture
def guide_url(case: Neo4jServer) -> Iterator[str]:
    """``casegraph browser serve --background`` on a free port, stopped afterwards."""
    home = Path(tempfile.mkdtemp(prefix="casegraph-browser-"))
    env = dict(case.env(), CASEGRAPH_BROWSER_HOME=str(home))
    port = free_port()
    started = casegraph("browser", "serve", "--background", "--port", str(port), env=env)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopped = casegraph("browser", "stop", env=env)
        assert stopped.returncode == 0, stopped.stderr
        assert "stopped" in stopped.stdout
        shutil.rmtree(home, ignore_errors=True)


def test_guide_runs_a_saved_query_in_neo4j_browser(
    chrome: Any, case: Neo4jServer, guide_url: str
) -> None:
    try:
        _guide_runs_a_saved_query(chrome, case, guide_url)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        chrome.save_screenshot(str(ARTIFACTS / "browser-e2e-failure.png"))
        raise


def _guide_runs_a_saved_query(chrome: Any, case: Neo4jServer, guide_url: str) -> None:
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    began = time.monotonic()
    assert case.home is not None
    state = localserver.read_state(case.home)
    assert state is not None
    bolt_port = urlsplit(case.uri).port
    wait = WebDriverWait(chrome, WAIT, ignored_exceptions=[StaleElementReferenceException])
    stream = (By.CSS_SELECTOR, "[data-testid=stream]")

    def run(command: str) -> None:
        editor = wait.until(
            ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=activeEditor] textarea"))
        )
        editor.send_keys(command)
        chrome.find_element(By.CSS_SELECTOR, "[data-testid=editor-Run]").click()

    def frame(command: str, *texts: str) -> Any:
        """The newest frame of a command (its label starts with ``command``) once it shows
        one of ``texts``.

        Browser adds frames of its own (``:play start`` after connecting) at any time, so
        the newest frame is not always ours.
        """

        def found(_: Any) -> Any:
            for article in chrome.find_elements(By.CSS_SELECTOR, "article[data-testid=frame]"):
                label = article.find_elements(By.CSS_SELECTOR, "[data-testid=frameCommand]")
                if label and label[0].text.startswith(command):
                    return article if any(t in article.text for t in texts) else False
            return False

        return wait.until(found)

    def captions_of(graph: Any) -> list[str]:
        """The relationship captions drawn in a frame's graph view (its SVG), once drawn."""
        selector = (By.CSS_SELECTOR, "svg g.relationship text")
        return wait.until(lambda _: [t.text for t in graph.find_elements(*selector) if t.text])

    # Connect: the URL fills in the server and user, the form takes the password.
    chrome.get(
        f"http://127.0.0.1:{state.http_port}/browser/"
        f"?dbms=neo4j://neo4j@127.0.0.1:{bolt_port}&db={case.database}"
    )
    for _ in range(3):  # the form may be drawn again while Browser tries the URL's server
        password = wait.until(
            ec.element_to_be_clickable((By.CSS_SELECTOR, "input[data-testid=password]"))
        )
        password.clear()
        password.send_keys(case.password)
        chrome.find_element(By.CSS_SELECTOR, "button[data-testid=connect]").click()
        try:
            WebDriverWait(chrome, 10).until(
                ec.text_to_be_present_in_element(stream, "You are connected as user")
            )
            break
        except TimeoutException:
            continue
    else:
        raise AssertionError("Neo4j Browser did not connect")

    # The style sheet parses in Browser. Browser reads the server's remote-content
    # allowlist (127.0.0.1 for the local server) just after connecting; until then it
    # refuses the host: run the command again.
    for _ in range(10):
        run(f":style {guide_url}/casegraph.grass")
        style = frame(":style", "node.Agency", "not allowed")
        if "node.Agency" in style.text:
            break
        time.sleep(1)
    assert "#0072B2" in style.text  # Agency's colour

    # The graph view: a claim's status is on the canvas, without a click (the style
    # captions relationships with the caption the loader writes: type and status).
    run("MATCH p = (:Platform)-[:FACILITATED]->(:Offence) RETURN p")
    graph = frame("MATCH p = (:Platform)-[:FACILITATED]", "FACILITATED")
    captions = captions_of(graph)
    assert "FACILITATED · alleged" in captions, captions
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(ARTIFACTS / "browser-e2e-graph.png"))

    # Who says so, one click away: a click on a claim opens Browser's inspector, which
    # names the documents the claim cites (according_to), as the seed files title them,
    # first.
    claim = graph.find_element(By.CSS_SELECTOR, "svg g.relationship text")
    ActionChains(chrome).move_to_element(claim).click().perform()
    pane = (By.CSS_SELECTOR, "[data-testid=viz-details-pane-properties-table]")
    inspector = wait.until(lambda _: graph.find_element(*pane))
    wait.until(lambda _: "according_to" in inspector.text)
    assert "FACILITATED · alleged" in inspector.text
    titles = facilitated_source_titles()
    assert any(title in inspector.text for title in titles), (titles, inspector.text)
    # Browser sorts the properties by name: the titles come first, before the bookkeeping
    keys = [cell.text for cell in inspector.find_elements(By.CSS_SELECTOR, "tr > td:first-child")]
    assert [key for key in keys if not key.startswith("<")][:2] == ["according_to", "caption"]
    chrome.save_screenshot(str(ARTIFACTS / "browser-e2e-claim-sources.png"))

    # The favorites zip, dropped on the window, becomes a folder per category.
    library = load_library(ROOT / "cypher")
    title = library[QUERY].title
    dropped = chrome.execute_async_script(DROP_ZIP, f"{guide_url}/casegraph-favorites.zip")
    assert dropped == "dropped", dropped
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=navigationFavorites]").click()
    for category in sorted({q.category for q in library.values()}):
        wait.until(
            ec.presence_of_element_located(
                (By.CSS_SELECTOR, f"[data-testid='savedScriptsFolder-{category}']")
            )
        )
    chrome.find_element(By.CSS_SELECTOR, "[data-testid='expandFolder-Investigation']").click()
    wait.until(
        ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "[data-testid='savedScriptsFolder-Investigation']"), title
        )
    )
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=navigationFavorites]").click()

    # The guide's legend: the statuses and the colours.
    run(f":play {guide_url}/guide.html#slide-2")
    legend = frame(":play", "Reading the graph")
    assert "FACILITATED · alleged" in legend.text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(ARTIFACTS / "browser-e2e-legend.png"))

    # The guide, at the question's slide (slide 1 is the introduction, 2 the legend).
    number = list(library).index(QUERY) + FIRST_QUERY_SLIDE
    run(f":play {guide_url}/guide.html#slide-{number}")
    guide = frame(":play", title)
    assert f"{number} / " in guide.text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(ARTIFACTS / "browser-e2e-guide.png"))
    preset, query = guide.find_elements(By.CSS_SELECTOR, "pre.runnable")[:2]
    assert preset.text.strip().endswith(
        ":param [{investigation, case}] => { RETURN '' AS investigation, '' AS case }"
    )

    # Its play icon runs the parameter preset at once.
    preset.find_element(By.CSS_SELECTOR, "i").click()
    params = frame(":param [{investigation, case}]", "Successfully set your parameters")
    assert '"investigation": ""' in params.text  # every investigation, of every case

    # A click on the query puts it in the editor; Run runs it.
    query.click()
    wait.until(
        ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "[data-testid=activeEditor]"), "COOPERATED_WITH"
        )
    )
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=editor-Run]").click()
    result = frame(f"// {title}", "Netherlands")
    result.find_element(By.CSS_SELECTOR, "[data-testid=cypherFrameSidebarTable]").click()
    for state_name in STATES:
        wait.until(lambda _, name=state_name: name in result.text)
    assert "Eurojust" in result.text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(ARTIFACTS / "browser-e2e.png"))

    # Every default of the library, as connecting to casegraph's own server sets them
    # (browser.post_connect_cmd), then a favorite from the zip, as it is: it runs.
    preset = library_preset(library)
    assert preset is not None
    run(preset)
    frame(":param [{about, case", "Successfully set your parameters")
    favorite = library[FAVORITE].title
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=navigationFavorites]").click()
    title_of = (By.CSS_SELECTOR, f"[data-testid='scriptTitle-{favorite}']")
    if not chrome.find_elements(*title_of):  # the folder, drawn again, is closed
        folder = f"[data-testid='expandFolder-{library[FAVORITE].category}']"
        chrome.find_element(By.CSS_SELECTOR, folder).click()
    wait.until(ec.element_to_be_clickable(title_of)).click()
    wait.until(
        ec.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "[data-testid=activeEditor]"), "COOPERATED_WITH"
        )
    )
    chrome.find_element(By.CSS_SELECTOR, "[data-testid=editor-Run]").click()
    result = frame(f"// {favorite}", "Netherlands", "Expected parameter")
    assert "Expected parameter" not in result.text
    chrome.save_screenshot(str(ARTIFACTS / "browser-e2e-favorite.png"))

    # A query that answers with a graph (view: graph): its column 'graph' of paths is drawn.
    command = library["investigation-command"]
    assert "//" not in command.text
    run(" ".join(command.text.split()))  # one line: the editor runs it as typed
    drawn = frame("MATCH role = (i:Investigation)", "CONDUCTED_BY", "Expected parameter")
    # Browser opens a frame in the view last chosen (the table, above): choose the graph
    tab = (By.CSS_SELECTOR, "[data-testid=cypherFrameSidebarVisualization]")
    wait.until(lambda _: drawn.find_elements(*tab))[0].click()  # once the result is in
    captions = captions_of(drawn)
    assert any(c.startswith("CONDUCTED_BY · ") for c in captions), captions
    assert any(c.startswith("PART_OF · ") for c in captions), captions
    chrome.save_screenshot(str(ARTIFACTS / "browser-e2e-graph-answer.png"))
    assert time.monotonic() - began < 90
