"""Checks every form on a page the way a keyboard and screen-reader user meets it."""

from __future__ import annotations

from typing import Any

UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)"""

UNNAMED_BUTTONS = """() => Array.from(document.querySelectorAll('button'))
  .filter(b => !(b.textContent || '').trim() && !b.getAttribute('aria-label'))
  .map(b => b.outerHTML)"""


# Every visible one-button form of the page, in one step in the page (a live update redraws
# parts of the page between any two steps Playwright takes, replacing their forms): its
# submit button takes the focus. Returns the forms whose button does not (a disabled button
# is left out: it is not in the tab order while it cannot be used).
ONE_BUTTON_FORMS = """() => Array.from(document.querySelectorAll('main form'))
  .filter(f => f.getClientRects().length && getComputedStyle(f).visibility !== 'hidden')
  .filter(f => !f.querySelector('input:not([type=hidden]), select, textarea'))
  .filter(f => {
    const b = f.querySelector('button[type=submit]');
    if (b && b.disabled) { return false; }
    if (b) { b.focus(); }
    return !b || b !== document.activeElement;
  })
  .map(f => f.outerHTML)"""

FIELDS = "input:not([type=hidden]), select, textarea"


def check_forms(page: Any, *, max_tabs: int = 60) -> int:
    """Every visible field has a label, every button a name, and from each form's first field
    the Tab key reaches that form's submit button. Returns how many forms were checked."""
    assert page.evaluate(UNLABELLED) == [], "a form field without a label"
    unnamed = page.evaluate(UNNAMED_BUTTONS)
    assert unnamed == [], f"a button without a name: {unnamed}"
    unreachable = page.evaluate(ONE_BUTTON_FORMS)
    assert unreachable == [], f"a one-button form whose button takes no focus: {unreachable}"
    # Forms with fields are not in the live parts of a page: nothing redraws them.
    forms = page.locator("main form", has=page.locator(FIELDS))
    for i in range(forms.count()):
        form = forms.nth(i)
        submit = form.locator("button[type=submit]").first
        if not form.is_visible() or submit.is_disabled():  # folded away: checked once opened
            continue
        form.locator(FIELDS).first.focus()
        for _ in range(max_tabs):
            if submit.evaluate("b => b === document.activeElement"):
                break
            page.keyboard.press("Tab")
        else:
            raise AssertionError(f"Tab never reached the submit button of form {i}")
    return int(page.locator("main form").count())
