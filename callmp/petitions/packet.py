"""The printable delivery packet: a PDF to hand over in person.

Domain code: no Flask. The petition's title and text in English and French, the national
total, the totals by riding (riding, MP, signatures), and the names and cities of the
signers who agreed to share them with their MP (``share_with_target``: the packet goes to
the same people, so it asks the same consent; ``show_publicly`` is about the public page
and is not enough). Never an email address, postal code or comment.

Drawn with fpdf2 as plain text (never markup), in a TrueType font with the accents and
dashes of riding names; ``CALLMP_PDF_FONT`` names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callmp.i18n import N_, InputError, translator
from callmp.models import Campaign, PetitionSignature, Riding
from callmp.petitions import counts, recipients
from callmp.petitions.delivery_mail import one_line

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_FAMILY = "packet"
_OTTAWA = ZoneInfo("America/Toronto")
#: The first bytes of a TrueType or OpenType font file.
_FONT_SIGNATURES = (b"\x00\x01\x00\x00", b"OTTO", b"true")


class PacketError(InputError):
    """The packet cannot be made here (its font is missing or unreadable)."""


@dataclass(frozen=True)
class RidingLine:
    """One riding's line in the packet."""

    riding: str
    member: str
    signatures: int


@dataclass(frozen=True)
class Signer:
    """A signer who agreed to share their name and city with their MP."""

    name: str
    city: str
    riding: str


def _both(msgid: str) -> str:
    """A label in English, then in French."""
    english, french = translator("en")(msgid), translator("fr")(msgid)
    return english if english == french else f"{english} / {french}"


def riding_lines(session: Session, campaign_id: int) -> list[RidingLine]:
    """Signatures per riding, in riding order, with the riding's sitting MP."""
    totals = recipients.by_riding(session, campaign_id)
    ridings = session.scalars(
        select(Riding)
        .where(Riding.fed_num.in_(sorted(totals)))
        .options(selectinload(Riding.member))
        .order_by(Riding.fed_num)
    )
    vacant = _both(N_("Vacant seat"))
    lines = [
        RidingLine(r.name("en"), r.member.full_name if r.member else vacant, totals[r.fed_num])
        for r in ridings
    ]
    unknown = counts.total(session, campaign_id) - sum(totals.values())
    if unknown:
        lines.append(RidingLine(_both(N_("Riding not known")), "", unknown))
    return lines


def sharing_signers(session: Session, campaign_id: int) -> list[Signer]:
    """Counted signers who agreed to share their name and city, by riding then name."""
    rows = session.execute(
        select(PetitionSignature.name, PetitionSignature.city, Riding.name_current)
        .outerjoin(Riding, Riding.fed_num == PetitionSignature.fed_num)
        .where(
            counts.counted(campaign_id),
            PetitionSignature.share_with_target.is_(True),
            PetitionSignature.name != "",
        )
        .order_by(PetitionSignature.fed_num, PetitionSignature.name, PetitionSignature.id)
    ).all()
    return [Signer(one_line(n, 100), one_line(c, 100), r or "") for n, c, r in rows]


def _pdf(font: str) -> FPDF:
    """A portrait Letter page document in ``font`` (PacketError when it cannot be read)."""
    if not Path(font).is_file():
        raise PacketError(
            "font_missing",
            N_(
                "The packet's font file was not found. Install fonts-dejavu-core or set "
                "CALLMP_PDF_FONT to a TrueType font."
            ),
        )
    unreadable = PacketError(
        "font_unreadable",
        N_("The packet's font file could not be read. Set CALLMP_PDF_FONT to a TrueType font."),
    )
    # Checked here: fontTools leaves the file open when it refuses one.
    try:
        with open(font, "rb") as file:
            signature = file.read(4)
    except OSError as error:
        raise unreadable from error
    if signature not in _FONT_SIGNATURES:
        raise unreadable
    pdf = FPDF(format="Letter")
    try:
        pdf.add_font(_FAMILY, "", font)
    # fontTools raises its own TTLibError (an Exception) for a damaged font.
    except Exception as error:
        raise unreadable from error
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    return pdf


def _paragraph(pdf: FPDF, text: str, size: float = 10, gap: float = 2) -> None:
    """Plain text, wrapped to the page (never read as markup)."""
    pdf.set_font(_FAMILY, size=size)
    pdf.multi_cell(
        0, size * 0.5, text, markdown=False, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(gap)


def build(session: Session, campaign: Campaign, now: datetime, font: str = DEFAULT_FONT) -> bytes:
    """The packet of ``campaign``'s petition as it stands at ``now``, as PDF bytes."""
    pdf = _pdf(font or DEFAULT_FONT)
    title_en = campaign.petition_title_en or campaign.title_en
    title_fr = campaign.petition_title_fr or campaign.title_fr
    pdf.set_title(one_line(title_en))
    pdf.set_creator("CallMP")
    pdf.set_creation_date(now)
    for title, text in (
        (title_en, campaign.petition_text_en),
        (title_fr, campaign.petition_text_fr),
    ):
        _paragraph(pdf, one_line(title), size=15)
        _paragraph(pdf, text.replace("\r\n", "\n").strip() or "-", gap=6)
    day = now.astimezone(_OTTAWA).date().isoformat()
    _paragraph(pdf, f"{_both(N_('Prepared on'))}: {day}")
    total = counts.total(session, campaign.id)
    _paragraph(pdf, f"{_both(N_('Signatures'))}: {total}", size=14, gap=4)
    _paragraph(pdf, _both(N_("Signatures by riding")), size=13)
    pdf.set_font(_FAMILY, size=9)
    with pdf.table(
        col_widths=(55, 35, 14), text_align=("LEFT", "LEFT", "RIGHT"), first_row_as_headings=False
    ) as table:
        heading = table.row()
        for label in (N_("Riding"), N_("MP"), N_("Signatures")):
            heading.cell(_both(label))
        for line in riding_lines(session, campaign.id):
            row = table.row()
            row.cell(line.riding)
            row.cell(line.member)
            row.cell(str(line.signatures))
    pdf.ln(6)
    _paragraph(pdf, _both(N_("Signers who agreed to share their name")), size=13)
    signers = sharing_signers(session, campaign.id)
    if not signers:
        _paragraph(pdf, "-")
    for signer in signers:
        where = ", ".join(part for part in (signer.city, signer.riding) if part)
        _paragraph(pdf, f"{signer.name} — {where}" if where else signer.name, size=9, gap=0.5)
    return bytes(pdf.output())
