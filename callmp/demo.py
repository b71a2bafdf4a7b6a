"""The demo campaign: migrant workers ask their MP and the Immigration Minister for status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.directory.ministry import KNOWN_FRENCH_TITLES, KNOWN_TITLES_SOURCE
from callmp.models import (
    Campaign,
    CampaignStatus,
    Office,
    OfficeKind,
    Person,
    Portfolio,
    Target,
    TargetKind,
)
from callmp.models.portfolios import is_unofficial
from callmp.templating import one_line

DEMO_SLUG = "status-for-all"
#: The demo's contact data that no official source gave: staff pages say so.
MINISTER_SOURCE = "demo:unverified"
#: What older demo databases called their hand-copied minister record.
OLD_MINISTER_SOURCE = "demo:minister-ircc"
# The demo targets the portfolio. Until a refresh reads the House's ministry list, its
# holder is the member for this riding (Halifax West), who held it when the data was
# prepared; the ministerial office's number and email are that member's Hill number and
# email, relabelled, and marked as not from an official source. A real campaign enters the
# ministerial office's own contact data.
MINISTER_FED_NUM = 12007
PORTFOLIO_SLUG = "minister-of-immigration-refugees-and-citizenship"
PORTFOLIO_TITLE_EN = "Minister of Immigration, Refugees and Citizenship"

TITLE_EN = "Status for all: permanent residence for migrant workers"
TITLE_FR = "Un statut pour toutes et tous : la résidence permanente pour les travailleurs migrants"

SUMMARY_EN = (
    "Migrant workers grow our food, care for our elders and build our homes, but their "
    "permits tie them to one employer and can end at any time. Call your MP and the "
    "Minister of Immigration today and ask for permanent resident status for all."
)
SUMMARY_FR = (
    "Les travailleuses et travailleurs migrants cultivent notre nourriture, prennent soin "
    "de nos aînés et construisent nos maisons, mais leurs permis les lient à un seul "
    "employeur et peuvent prendre fin à tout moment. Appelez aujourd'hui votre député·e et "
    "la ministre de l'Immigration pour demander la résidence permanente pour toutes et tous."
)

# French texts use French typography: a no-break space (U+00A0) before : ; ? and !.
# The campaign's words, for the supporter's MP (the Minister has her own, below).
POINTS_EN = """\
**Hello, my name is ___ and I live in {riding}, postal code {postal_code}.**

I'm calling to ask {mp_name} to support permanent resident status for all migrants
in Canada.

- Temporary permits tie workers to one employer, which makes it hard to speak up
  about unpaid wages or unsafe work.
- People who have lived and worked here for years can lose their status overnight.
- A full and permanent regularization program would let them stay with their families
  and contribute with the same rights as everyone else.

**My ask:** will {mp_name} publicly support a regularization program with permanent
status for all, and raise it with the Minister of Immigration?

Thank you for your time.
"""

POINTS_FR = """\
**Bonjour, je m'appelle ___ et j'habite dans {riding}, code postal {postal_code}.**

J'appelle pour demander à {mp_name} d'appuyer la résidence permanente pour toutes
les personnes migrantes au Canada.

- Les permis temporaires lient les travailleurs à un seul employeur, ce qui les empêche
  de dénoncer un salaire impayé ou un travail dangereux.
- Des personnes qui vivent et travaillent ici depuis des années peuvent perdre leur
  statut du jour au lendemain.
- Un programme de régularisation complet et permanent leur permettrait de rester avec
  leur famille et de contribuer avec les mêmes droits que tout le monde.

**Ma demande :** est-ce que {mp_name} va appuyer publiquement un programme de
régularisation accordant un statut permanent à toutes et à tous, et en parler à la
ministre de l'Immigration ?

Merci de votre temps.
"""

# The Minister's own words: she decides, so she is asked to act, not to lobby herself.
MINISTER_POINTS_EN = """\
**Hello, my name is ___ and I live in {riding}, postal code {postal_code}.**

I'm calling to ask the Minister of Immigration to grant permanent resident status to
all migrants in Canada.

- Temporary permits tie workers to one employer, which makes it hard to speak up
  about unpaid wages or unsafe work.
- People who have lived and worked here for years can lose their status overnight.
- The Minister can launch a full and permanent regularization program now.

**My ask:** will the Minister launch a regularization program with permanent status
for all, without delay?

Thank you for your time.
"""

MINISTER_POINTS_FR = """\
**Bonjour, je m'appelle ___ et j'habite dans {riding}, code postal {postal_code}.**

J'appelle pour demander à la ministre de l'Immigration d'accorder la résidence
permanente à toutes les personnes migrantes au Canada.

- Les permis temporaires lient les travailleurs à un seul employeur, ce qui les empêche
  de dénoncer un salaire impayé ou un travail dangereux.
- Des personnes qui vivent et travaillent ici depuis des années peuvent perdre leur
  statut du jour au lendemain.
- La ministre peut lancer dès maintenant un programme de régularisation complet et
  permanent.

**Ma demande :** la ministre lancera-t-elle sans attendre un programme de
régularisation accordant un statut permanent à toutes et à tous ?

Merci de votre temps.
"""


INTRO_EN = (
    "Hello from the Status for All campaign. Thank you for calling your representatives "
    "today to ask for permanent residence for all migrants."
)
INTRO_FR = (
    "Bonjour, ici la campagne Un statut pour toutes et tous. Merci d'appeler vos "
    "représentants aujourd'hui pour demander la résidence permanente pour toutes les "
    "personnes migrantes."
)


EMAIL_FROM = "letters@status-for-all.example"  # a reserved example domain: a demo address

SUBJECT_EN = "Permanent status for all migrants: a constituent in {riding} asks for your support"
SUBJECT_FR = (
    "Un statut permanent pour toutes les personnes migrantes : une personne de {riding} "
    "demande votre appui"
)

LETTER_EN = """\
I live in {riding}, and I am writing to ask you to support permanent resident status
for all migrants in Canada.

Migrant workers grow our food, care for our elders and build our homes. Temporary
permits tie them to one employer, which makes it hard to speak up about unpaid wages
or unsafe work, and people who have lived here for years can lose their status
overnight.

A full and permanent regularization program would let them stay with their families
and contribute with the same rights as everyone else. Will you publicly support such a
program and raise it with the Minister of Immigration?
"""

PETITION_TITLE_EN = "Permanent residence for migrant workers, now"
PETITION_TITLE_FR = "La résidence permanente pour les travailleurs migrants, maintenant"
PETITION_TEXT_EN = """\
We, the undersigned residents of Canada, call on the Government of Canada to grant
permanent resident status to migrant workers, students and refugees already living here,
and to end the temporary permits that tie workers to a single employer."""
PETITION_TEXT_FR = """\
Nous, résidentes et résidents du Canada soussignés, demandons au gouvernement du Canada
d'accorder la résidence permanente aux travailleurs migrants, aux étudiants et aux
réfugiés qui vivent déjà ici, et de mettre fin aux permis temporaires qui lient les
travailleurs à un seul employeur."""

LETTER_FR = """\
J'habite dans {riding} et je vous écris pour vous demander d'appuyer la résidence
permanente pour toutes les personnes migrantes au Canada.

Les travailleuses et travailleurs migrants cultivent notre nourriture, prennent soin de
nos aînés et construisent nos maisons. Les permis temporaires les lient à un seul
employeur, ce qui les empêche de dénoncer un salaire impayé ou un travail dangereux, et
des personnes qui vivent ici depuis des années peuvent perdre leur statut du jour au
lendemain.

Un programme de régularisation complet et permanent leur permettrait de rester avec leur
famille et de contribuer avec les mêmes droits que tout le monde. Appuierez-vous
publiquement un tel programme et en parlerez-vous à la ministre de l'Immigration ?
"""

MINISTER_SUBJECT_EN = "Permanent status for all migrants: a resident of {riding} asks you to act"
MINISTER_SUBJECT_FR = (
    "Un statut permanent pour toutes les personnes migrantes : une personne de {riding} "
    "vous demande d'agir"
)

MINISTER_LETTER_EN = """\
I live in {riding}, and I am writing to ask you, as Minister of Immigration, Refugees
and Citizenship, to grant permanent resident status to all migrants in Canada.

Migrant workers grow our food, care for our elders and build our homes. Temporary
permits tie them to one employer, which makes it hard to speak up about unpaid wages
or unsafe work, and people who have lived here for years can lose their status
overnight.

You have the power to launch a full and permanent regularization program. Will you
launch one without delay, so that they can stay with their families and contribute
with the same rights as everyone else?
"""

MINISTER_LETTER_FR = """\
J'habite dans {riding} et je vous écris pour vous demander, en tant que ministre de
l'Immigration, des Réfugiés et de la Citoyenneté, d'accorder la résidence permanente à
toutes les personnes migrantes au Canada.

Les travailleuses et travailleurs migrants cultivent notre nourriture, prennent soin de
nos aînés et construisent nos maisons. Les permis temporaires les lient à un seul
employeur, ce qui les empêche de dénoncer un salaire impayé ou un travail dangereux, et
des personnes qui vivent ici depuis des années peuvent perdre leur statut du jour au
lendemain.

Vous avez le pouvoir de lancer un programme de régularisation complet et permanent.
Le lancerez-vous sans attendre, pour que ces personnes puissent rester avec leur famille
et contribuer avec les mêmes droits que tout le monde ?
"""


def _paragraphs(text: str) -> str:
    """One line per paragraph: mail apps wrap lines themselves, hard wraps look broken."""
    # one_line keeps the no-break spaces of French typography where they are.
    return "\n\n".join(one_line(part) for part in text.strip().split("\n\n")) + "\n"


def _office_contact(session: Session, member: Person, title: str) -> Person:
    """The portfolio's office contact: the member's email and Hill numbers, marked unofficial.

    Created once and updated in place (counted events keep links to its offices); an older
    database's hand-copied minister record becomes it.
    """
    query = select(Person).where(Person.source.in_((MINISTER_SOURCE, OLD_MINISTER_SOURCE)))
    contact = session.scalars(query.order_by(Person.id)).first()
    if contact is None:
        contact = Person(full_name=title, source=MINISTER_SOURCE)
        session.add(contact)
    contact.full_name, contact.source, contact.as_of = (
        f"Office of the {title}",
        MINISTER_SOURCE,
        member.as_of,
    )
    contact.honorific = contact.first_name = contact.last_name = contact.party = ""
    contact.photo_url = contact.profile_url = ""
    contact.email, contact.email_source, contact.email_derived = (
        member.email,
        MINISTER_SOURCE,
        False,
    )
    existing = {(o.kind, o.position): o for o in contact.offices}
    wanted = [office for office in member.offices if office.kind == OfficeKind.hill]
    kept = []
    for office in wanted:
        copy = existing.get((OfficeKind.other, office.position))
        if copy is None:
            copy = Office(kind=OfficeKind.other, position=office.position)
            contact.offices.append(copy)
        copy.is_main = office.position == 1
        copy.label_en = "Office of the Minister (Parliament Hill)"
        copy.label_fr = "Bureau de la ministre (Colline du Parlement)"
        for name in ("phone", "phone_raw", "fax", "time_zone", "as_of"):
            setattr(copy, name, getattr(office, name))
        copy.source = MINISTER_SOURCE
        kept.append(copy)
    for office in list(contact.offices):
        if office not in kept:
            contact.offices.remove(office)
    return contact


def _portfolio(session: Session) -> Portfolio | None:
    """The demo's portfolio: the ministerial office contact, and a holder until a refresh of
    the ministry list gives an official one."""
    member = session.scalars(select(Person).where(Person.fed_num == MINISTER_FED_NUM)).first()
    if member is None:
        return None
    portfolio = session.scalars(select(Portfolio).where(Portfolio.slug == PORTFOLIO_SLUG)).first()
    if portfolio is None:
        portfolio = Portfolio(slug=PORTFOLIO_SLUG, title_en=PORTFOLIO_TITLE_EN)
        session.add(portfolio)
    if not portfolio.title_fr:
        portfolio.title_fr = KNOWN_FRENCH_TITLES[PORTFOLIO_SLUG]
        portfolio.title_fr_source = KNOWN_TITLES_SOURCE
    if not portfolio.holder_source or is_unofficial(portfolio.holder_source):
        portfolio.holder = member
        portfolio.holder_source, portfolio.holder_as_of = MINISTER_SOURCE, member.as_of
    portfolio.office_person = _office_contact(session, member, PORTFOLIO_TITLE_EN)
    session.flush()
    return portfolio


#: The demo's organization: fictional, with an address on a reserved example domain.
ORG_LEGAL_NAME = "Coalition for Status for All (demo)"
ORG_MAILING_ADDRESS = "123 Example Street, Suite 400\nOttawa ON  K1P 0A1"
ORG_CONTACT = "privacy@status-for-all.example.org"


def seed(session: Session) -> Campaign:
    """Create or refresh the demo campaign, published, with its two targets (the supporter's
    MP and the Immigration portfolio)."""
    campaign = session.scalars(select(Campaign).where(Campaign.slug == DEMO_SLUG)).first()
    if campaign is None:
        campaign = Campaign(slug=DEMO_SLUG, title_en=TITLE_EN, title_fr=TITLE_FR)
        session.add(campaign)
    campaign.status = CampaignStatus.published
    campaign.title_en, campaign.title_fr = TITLE_EN, TITLE_FR
    campaign.summary_en, campaign.summary_fr = SUMMARY_EN, SUMMARY_FR
    campaign.talking_points_en, campaign.talking_points_fr = POINTS_EN, POINTS_FR
    campaign.goal = 5000
    campaign.call_intro_en, campaign.call_intro_fr = INTRO_EN, INTRO_FR
    campaign.emails = True
    campaign.email_subject_en, campaign.email_subject_fr = SUBJECT_EN, SUBJECT_FR
    campaign.email_body_en = _paragraphs(LETTER_EN)
    campaign.email_body_fr = _paragraphs(LETTER_FR)
    campaign.email_from_address = EMAIL_FROM
    campaign.petitions = True
    campaign.petition_title_en, campaign.petition_title_fr = PETITION_TITLE_EN, PETITION_TITLE_FR
    campaign.petition_text_en = _paragraphs(PETITION_TEXT_EN)
    campaign.petition_text_fr = _paragraphs(PETITION_TEXT_FR)
    campaign.petition_goal = 2000
    campaign.petition_show_signers = True
    # A fictional coalition: the organization supporters' consent is given to (CASL).
    campaign.org_legal_name = ORG_LEGAL_NAME
    campaign.org_mailing_address = ORG_MAILING_ADDRESS
    campaign.org_contact = ORG_CONTACT
    portfolio = _portfolio(session)
    wanted: list[dict[str, Any]] = [
        {
            "kind": TargetKind.own_mp,
            "person": None,
            "role_en": "your MP",
            "role_fr": "votre député·e",
        }
    ]
    if portfolio is not None:
        wanted.append(
            {
                "kind": TargetKind.portfolio,
                "person": None,
                "portfolio": portfolio,
                "role_en": "the Minister of Immigration, Refugees and Citizenship",
                "role_fr": "la ministre de l'Immigration, des Réfugiés et de la Citoyenneté",
                "talking_points_en": MINISTER_POINTS_EN,
                "talking_points_fr": MINISTER_POINTS_FR,
                "email_subject_en": MINISTER_SUBJECT_EN,
                "email_subject_fr": MINISTER_SUBJECT_FR,
                "email_body_en": _paragraphs(MINISTER_LETTER_EN),
                "email_body_fr": _paragraphs(MINISTER_LETTER_FR),
                # Written for whoever holds the post: no name, and no gender in French.
                "address_en": "Minister",
                "address_fr": "",
                "gender": "",
            }
        )
    # Update targets in place (by position): counted events point at them.
    by_position = {target.position: target for target in campaign.targets}
    for position, values in enumerate(wanted, start=1):
        target = by_position.pop(position, None)
        if target is None:
            target = Target(position=position, kind=values["kind"])
            campaign.targets.append(target)
        for name, value in values.items():
            setattr(target, name, value)
    for target in by_position.values():
        campaign.targets.remove(target)
    session.flush()
    return campaign


def prepare_database(url: str, data_dir: Path) -> None:
    """Migrate the database at ``url``, import the shipped data and seed the demo campaign."""
    from callmp import migrate
    from callmp.db import analyze, make_engine, make_session_factory
    from callmp.directory import freshness

    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with make_session_factory(engine)() as session:
            freshness.import_shipped(session, data_dir)
            seed(session)
            session.commit()
            analyze(session)
    finally:
        engine.dispose()
