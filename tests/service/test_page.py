"""The web page in a real browser: Debian's chromium, headless, driven by Selenium.

The server runs on 127.0.0.1 with the sample index and the offline MiniLM; the test types
mentions, clicks, and reads the highlighted spans and the candidates the page shows. It saves a
screenshot in its temporary directory (and to ``$ENTITYLINK_PAGE_SCREENSHOT`` when set: that is
how ``docs/service.png`` is made).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from entitylink import Annotator, ConceptIndex, Encoder, Linker
from entitylink.linking.thresholds import DICTIONARY_THRESHOLD
from entitylink.service import ServiceConfig, create_app

from .conftest import running_server

webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium")
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="no Chromium here: apt-get install chromium chromium-driver (.ci/run does)",
)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not try to download anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(DRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def test_the_page_links_mentions_in_chromium(
    browser: webdriver.Chrome, minilm: Encoder, sample_index: ConceptIndex, tmp_path: Path
) -> None:
    linker = Linker(minilm, sample_index)
    app = create_app(
        ServiceConfig(indexes=(("sample", sample_index.path),)), linkers={"sample": linker}
    )
    mentions = ["heart attack", "type 2 diabetes", "asthma"]
    want = linker.link(mentions, k=5)
    wait = WebDriverWait(browser, 20)
    with running_server(app) as (url, _):
        browser.get(url + "/")
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#index option[value=sample]")))
        text = browser.find_element(By.ID, "text")
        text.clear()
        text.send_keys("\n".join(mentions))
        browser.find_element(By.ID, "link-button").click()
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#result mark")) == 3)

        marks = browser.find_elements(By.CSS_SELECTOR, "#result mark")
        assert [m.text.split("\n")[0] for m in marks] == mentions
        ActionChains(browser).move_to_element(marks[0]).perform()  # hover: the best concept
        tip = marks[0].find_element(By.CLASS_NAME, "tip")
        wait.until(lambda _: tip.is_displayed())
        assert tip.text.startswith("C0027051 ")
        ActionChains(browser).move_to_element(browser.find_element(By.TAG_NAME, "h1")).perform()
        wait.until(lambda _: not tip.is_displayed())
        marks[1].click()  # click: the top candidates
        wait.until(ec.visibility_of_element_located((By.ID, "candidates")))
        shown = browser.find_elements(By.CSS_SELECTOR, "#candidate-list li.candidate code")
        assert [c.text for c in shown] == [c.concept_id for c in want[1]]
        assert "type 2 diabetes" in browser.find_element(By.ID, "candidates-title").text
        rows = browser.find_elements(By.CSS_SELECTOR, "#table tbody tr")
        assert len(rows) == sum(map(len, want))
        assert rows[0].find_elements(By.TAG_NAME, "td")[2].text == "C0027051"
        screenshot = tmp_path / "page.png"
        assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
        if os.environ.get("ENTITYLINK_PAGE_SCREENSHOT"):
            shutil.copy(screenshot, os.environ["ENTITYLINK_PAGE_SCREENSHOT"])

        paragraph = "After a heart attack (MI) at 40, the MI and asthma were treated."
        spans = (
            Annotator(linker, k=5, threshold=DICTIONARY_THRESHOLD).annotate([paragraph])[0].spans
        )
        text.clear()
        text.send_keys(paragraph)
        browser.find_element(By.ID, "mode-paragraph").click()  # POST /annotate
        browser.find_element(By.ID, "link-button").click()
        wait.until(lambda b: "span(s) found" in b.find_element(By.ID, "message").text)
        marks = browser.find_elements(By.CSS_SELECTOR, "#result mark")
        assert spans and [m.text.split("\n")[0] for m in marks] == [s.text for s in spans]
        ActionChains(browser).move_to_element(marks[0]).perform()
        tip = marks[0].find_element(By.CLASS_NAME, "tip")
        wait.until(lambda _: tip.is_displayed())
        assert tip.text.startswith(f"{spans[0].candidates[0].concept_id} ")
