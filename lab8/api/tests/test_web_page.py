"""The web page in a real headless Chromium against gunicorn on loopback: upload, draw, bad file.

Needs Debian's `chromium` (`.ci/run` installs it); skipped with a reason elsewhere unless
REQUIRE_BROWSER=1, as in CI, turns the skip into a failure. Screenshots go to test-artifacts/.
"""

import itertools
import os
import shutil

import pytest

from api.tests.conftest import REPO_DIR

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# Headless in a sandboxed machine with no network: no GPU, no sandbox, no background calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_DIR / "test-artifacts" / "web-page"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but no chromium on PATH: apt-get install chromium chromium-driver")
        pytest.skip("no chromium on PATH (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 900, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server)
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_upload_a_photo_and_read_the_text(page, mnist_digits, tmp_path):
    png, label = mnist_digits[1]
    photo = tmp_path / "digit.png"
    photo.write_bytes(png)
    page.check("input[name=task][value=digit]")
    page.set_input_files("#file", str(photo))
    page.click("#upload-button")
    page.wait_for_selector("#prediction")
    screenshot(page, "upload")
    assert page.inner_text("#prediction") == label
    assert 0.0 <= float(page.inner_text("#confidence")) <= 1.0
    assert page.is_visible("#image-read") and page.is_visible("#model-input")


def test_draw_a_digit_on_the_canvas(page):
    """A 7: a bar across the top, then a stroke down to the left."""
    page.check("input[name=task][value=digit]")
    box = page.locator("#canvas").bounding_box()
    centre, top, height = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15, box["height"] * 0.7
    stroke = [(centre - 0.3 * height, top), (centre + 0.3 * height, top), (centre - 0.1 * height, top + height)]
    page.mouse.move(*stroke[0])
    page.mouse.down()
    for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
        for step in range(1, 11):
            page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()
    page.click("#read-drawing")
    page.wait_for_selector("#prediction")
    screenshot(page, "draw")
    assert page.inner_text("#prediction") == "7"


def test_upload_a_page_and_see_its_lines(page, handwritten_page, tmp_path):
    jpeg, _, line_count = handwritten_page
    photo = tmp_path / "page.jpg"
    photo.write_bytes(jpeg)
    page.check("input[name=task][value=paragraph]")
    page.set_input_files("#file", str(photo))
    page.click("#upload-button")
    page.wait_for_selector("#lines")
    screenshot(page, "page-upload")
    items = page.locator("#lines li")
    assert abs(items.count() - line_count) <= 1
    assert page.inner_text("#prediction").count("\n") == items.count() - 1
    assert page.is_visible("#image-read") and not page.is_visible("#model-input")


def test_a_bad_file_gets_a_readable_error(page, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"these are not pixels")
    page.set_input_files("#file", str(bad))
    page.click("#upload-button")
    page.wait_for_selector("#error")
    screenshot(page, "bad-file")
    assert "not an image" in page.inner_text("#error")
