"""A software update in Debian Chromium, at 1366 px and on a 390 px phone: the operator publishes a
signed release, the owner is told (R30), installs it and follows its progress in place until
the charger runs it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from a11y import check_forms
from owner_app import log_in, stack_wait, text, wait_text
from playwright.sync_api import expect

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def stack(stack_per_width: Any) -> Any:
    return stack_per_width  # each width from a fresh stack: the flows start from first use


def test_firmware_offer_install_progress(
    open_context: Any, context: Any, stack: Any, shots: Any
) -> None:
    ops = open_context()
    page = log_in(ops, stack, "ops@example.com")
    check_forms(page)
    release = stack.release("2.0.0")  # signed by the manufacturer, served on loopback
    page.get_by_label("Version").fill("2.0.0")
    page.get_by_label(re.compile("^Model")).fill("AC-7")
    page.get_by_label(re.compile("^Download URL")).fill(release["location"])
    page.get_by_label(re.compile("^Signing certificate")).fill(release["signing_certificate"])
    page.get_by_label(re.compile("^Signature")).fill(release["signature"])
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_have_text("Release 2.0.0 published.")
    ops.close()

    page = context.new_page()
    page.goto(f"{stack.url}/app")
    assert "Software update 2.0.0 available" in text(page)  # announced (R30)
    page.get_by_role("link", name="Software update 2.0.0 available").first.click()
    # The click returns before the charger's page has replaced the home page: wait for it.
    expect(page.locator("main")).to_contain_text("Update available: 2.0.0")
    # What the charger's own update check found, next to what the operator published (R30).
    found = page.locator("#charger-found").inner_text()
    assert found.startswith("The charger found version 2.0.0 when it checked for updates on ")
    check_forms(page)
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Install 2.0.0").click()
    expect(page.get_by_role("status")).to_contain_text("Update to 2.0.0 sent")
    # Progress follows the charger's status notifications, refreshed in place: it downloads,
    # checks the manufacturer's signature, installs into its other slot and restarts.
    page.evaluate("window.notReloaded = true")
    progress = wait_text(page, "#progress", "Installed", 60)
    for step in ("Downloading", "Signature checked: genuine", "Installing"):
        assert step in progress
    assert page.evaluate("window.notReloaded === true")
    shots(page, "installed")

    def running_new() -> bool:
        page.reload()
        return page.locator("#running-version").inner_text() == "2.0.0"

    stack_wait(running_new, 60)  # the new version, from the charger's boot after the install
    assert "No update available" in text(page)
    assert page.locator("#charger-found").count() == 0  # it runs what it found
    page.close()
