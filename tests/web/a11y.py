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


def check_forms(page: Any, *, max_tabs: int = 60) -> int:
    """Every visible field has a label, every button a name, and from each form's first field
    the Tab key reaches that form's submit button. Returns how many forms were checked."""
    assert page.evaluate(UNLABELLED) == [], "a form field without a label"
    unnamed = page.evaluate(UNNAMED_BUTTONS)
    assert unnamed == [], f"a button without a name: {unnamed}"
    forms = page.locator("main form")
    for i in range(forms.count()):
        form = forms.nth(i)
        if not form.is_visible():  # folded away (an advanced option): checked once opened
            continue
        submit = form.locator("button[type=submit]").first
        fields = form.locator("input:not([type=hidden]), select, textarea")
        if submit.is_disabled():  # not in the tab order while it cannot be used
            continue
        if not fields.count():  # a one-button form: the button itself takes the focus
            # Focus and look in one step: a live update may redraw the form in between.
            focused = submit.evaluate("b => { b.focus(); return b === document.activeElement; }")
            assert focused, f"form {i}'s button"
            continue
        fields.first.focus()
        for _ in range(max_tabs):
            if submit.evaluate("b => b === document.activeElement"):
                break
            page.keyboard.press("Tab")
        else:
            raise AssertionError(f"Tab never reached the submit button of form {i}")
    return forms.count()
