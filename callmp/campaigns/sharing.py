"""Share links: the campaign's address with the sharer's referral code and the channel.

Domain code: no Flask. Every link is a plain link to a network's own share page (no
script, no tracker of theirs on ours). The shared address carries only the campaign, the
sharer's referral code and the share source (``callmp.stats.share_sources``): nothing
about the supporter who shares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from callmp.models import Campaign
from callmp.stats.share_sources import SOURCES

#: How long the prepared message may be: it must fit a post on X (280) with the address.
MESSAGE_MAX = 200


@dataclass(frozen=True)
class ShareLink:
    """One share button: its channel, its name (a msgid) and where it goes."""

    source: str
    label: str
    href: str


@dataclass(frozen=True)
class SharePanel:
    """What the "Share this campaign" block shows: the buttons and the address to copy."""

    message: str
    links: list[ShareLink]
    copy_url: str  # the campaign's address with src=link, for the copy-link field


def shared_url(campaign_url: str, referral: str, source: str) -> str:
    """``campaign_url`` with ``?ref=`` (when there is one) and ``src=`` for ``source``."""
    scheme, netloc, path, _query, _fragment = urlsplit(campaign_url)
    params = [("ref", referral)] if referral else []
    params.append(("src", source))
    return urlunsplit((scheme, netloc, path, urlencode(params), ""))


def message(campaign: Campaign, locale: str) -> str:
    """The prepared words in ``locale``: the title and summary, shortened to fit a post."""
    title = campaign.text("title", locale).strip()
    summary = " ".join(campaign.text("summary", locale).split())
    # A dash, not a colon: titles often hold a colon already.
    words = f"{title} \u2014 {summary}" if summary else title
    return shortened(words, MESSAGE_MAX)


def shortened(words: str, maximum: int) -> str:
    """``words`` cut at a space to at most ``maximum`` characters, with "…" when cut."""
    if len(words) <= maximum:
        return words
    return words[: maximum - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _q(value: str) -> str:
    """Percent-encode everything but unreserved characters (spaces as %20, as mailto needs)."""
    return quote(value, safe="")


def share_panel(campaign: Campaign, campaign_url: str, referral: str, locale: str) -> SharePanel:
    """The share buttons of ``campaign`` for a supporter who came with ``referral``."""
    words = message(campaign, locale)
    title = campaign.text("title", locale)

    def url(source: str) -> str:
        return shared_url(campaign_url, referral, source)

    body = f"{words}\n\n{url('email')}"

    hrefs = {
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={_q(url('facebook'))}",
        "x": f"https://x.com/intent/post?text={_q(words)}&url={_q(url('x'))}",
        "bluesky": f"https://bsky.app/intent/compose?text={_q(words + ' ' + url('bluesky'))}",
        "whatsapp": f"https://wa.me/?text={_q(words + ' ' + url('whatsapp'))}",
        "email": f"mailto:?subject={_q(title)}&body={_q(body)}",
    }
    links = [ShareLink(source, SOURCES[source], href) for source, href in hrefs.items()]
    return SharePanel(message=words, links=links, copy_url=url("link"))
