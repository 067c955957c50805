"""The app in a real headless browser (Chromium from the distribution's packages, driven by Selenium):
upload the shared pendulum recording, pick its channel and read R1 from the page; move the severity
control and see the figure and the numbers change; step through the loop; look up a term.

Skipped, saying why, where Selenium or Chromium and its driver are missing (Debian: ``apt-get install
chromium chromium-driver``; ``pip install selenium``). ``MYOREFLEX_APP_SCREENSHOTS=1`` writes the
screenshots to docs/figures/app/ (the docs use them); otherwise to a temporary folder.
"""

import os
import shutil
from pathlib import Path

import pytest

from myoreflex import datasets

pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DRIVERS = ("chromedriver",)
DOCS_FIGURES = Path(__file__).resolve().parents[2] / "docs" / "figures" / "app"


def _first(names):
    for name in names:
        found = shutil.which(name) or (f"/usr/lib/chromium/{name}" if Path(f"/usr/lib/chromium/{name}").exists() else None)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium (pip install selenium)")
    binary, driver = _first(BROWSERS), _first(DRIVERS)
    if binary is None or driver is None:
        pytest.skip(f"no headless browser: Chromium ({'found' if binary else 'missing'}) and chromedriver "
                    f"({'found' if driver else 'missing'}) are needed (Debian: apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1500", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    session.set_page_load_timeout(120)
    yield session
    session.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    if os.environ.get("MYOREFLEX_APP_SCREENSHOTS") == "1":
        DOCS_FIGURES.mkdir(parents=True, exist_ok=True)
        return DOCS_FIGURES
    return tmp_path_factory.mktemp("screenshots")


def _wait(browser, condition, timeout=120):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda b: condition(b))


def test_upload_pick_the_channel_and_read_r1(browser, server, shots, r1_shared):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{server}/assess")
    browser.find_element(By.ID, "file").send_keys(str(datasets.path("cp1-right-pendulum")))
    browser.find_element(By.ID, "assess-submit").click()
    # no channel named: the page says which channels the file has, and offers them
    message = _wait(browser, lambda b: b.find_elements(By.ID, "error-message"))[0].text
    assert "knee_angle_r" in message
    Select(browser.find_element(By.ID, "coordinate")).select_by_value("knee_angle_r")
    browser.find_element(By.CSS_SELECTOR, "#channel-form button").click()
    r1 = _wait(browser, lambda b: b.find_elements(By.ID, "m-r1"))[0].text
    assert r1 == f"{r1_shared:.4g}" == "1.215"
    figure = browser.find_element(By.ID, "figure")
    _wait(browser, lambda b: b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", figure))
    browser.save_screenshot(str(shots / "assess.png"))


def test_moving_the_severity_redraws_the_figure(browser, server, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser.get(f"{server}/simulate")
    status = browser.find_element(By.ID, "status")
    _wait(browser, lambda b: status.get_attribute("data-count") == "1")
    Select(browser.find_element(By.ID, "condition")).select_by_value("stroke")
    _wait(browser, lambda b: status.get_attribute("data-count") == "2")
    before = (browser.find_element(By.ID, "sim-figure").get_attribute("src"), browser.find_element(By.ID, "sim-r1").text)
    slider = browser.find_element(By.ID, "severity")
    slider.click()  # the middle of the track: 0.5
    slider.send_keys(Keys.END)  # severity 1
    _wait(browser, lambda b: b.find_element(By.ID, "severity-value").text == "1"
          and '"severity":1' in (b.find_element(By.ID, "sim-figure").get_attribute("data-options") or ""))
    after = (browser.find_element(By.ID, "sim-figure").get_attribute("src"), browser.find_element(By.ID, "sim-r1").text)
    assert after[0] != before[0] and after[1] != before[1], (before, after)
    assert float(after[1]) < float(before[1])  # a more spastic leg brakes its first swing: R1 falls
    seconds = float(status.get_attribute("data-seconds"))
    assert seconds < 1.0, f"redraw took {seconds} s after warm-up"
    browser.save_screenshot(str(shots / "simulate.png"))


def test_teach_steps_through_the_loop(browser, server, shots):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/teach")
    _wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#signals tr")) == 8)
    browser.execute_script("const s = document.getElementById('step'); s.value = 60; "
                           "s.dispatchEvent(new Event('input', {bubbles: true}));")
    rows = browser.find_elements(By.CSS_SELECTOR, "#signals tr")
    assert [r.get_attribute("data-signal") for r in rows[1:]] == ["ia", "ii", "ib", "emg", "activation", "force", "angle"]
    assert browser.find_element(By.ID, "step-time").text.endswith(" s")
    browser.save_screenshot(str(shots / "teach.png"))


def test_learn_looks_up_a_term(browser, server, shots):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/learn")
    box = browser.find_element(By.ID, "q")
    box.send_keys("spasticity")
    box.submit()
    results = _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, "#results li"))
    assert results
    browser.save_screenshot(str(shots / "learn.png"))
