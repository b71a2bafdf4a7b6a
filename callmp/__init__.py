"""CallMP: call-and-email campaigns aimed at Canadian Members of Parliament."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from callmp import log_privacy
from callmp.config import REPO_ROOT, check_production, load_config


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, database, data index, languages, blueprints, CLI, errors."""
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
        instance_path=str(REPO_ROOT / "instance"),
    )
    app.config.update(load_config(overrides))
    if not app.config.get("TESTING"):
        # Test apps (TESTING comes only from overrides, never from the environment) run
        # in one process against loopback peers; every other app must be fit to serve.
        check_production(app.config)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    # No phone number, email address or postal code in any log line, whoever logs it.
    log_privacy.install()
    # urllib3 logs full request URLs at DEBUG, and Twilio's query strings hold phone numbers.
    logging.getLogger("urllib3").setLevel(max(logging.INFO, logging.getLogger().level))

    from callmp.ops import error_reports
    from callmp.views.front_cache import init_front_cache
    from callmp.views.proxies import init_proxies

    # Off without CALLMP_SENTRY_DSN; with it, events leave without personal data.
    error_reports.init(app.config)

    # Public answers that are the same for every stranger, given again before Flask runs;
    # inside the proxy layers, so that it sees the trusted scheme and host.
    init_front_cache(app)
    # Client address and scheme from the trusted proxies only (before anything reads them).
    init_proxies(app)

    from callmp.services import Services
    from callmp.views import context, inputs

    inputs.init_inputs(app)  # before any blueprint: its rules use the id converter

    context.init_services(app, Services.from_config(app.config))
    context.init_babel(app)
    from callmp.views.ops import init_ops

    init_ops(app)  # first of the request hooks: every later log line has the request id
    app.before_request(context.remember_referral)

    from callmp import cli
    from callmp.views import errors, headers, rate_limits, security, template_globals
    from callmp.views.counts import init_counts

    init_counts(app)
    from callmp.views import (
        api,
        bounces,
        branding,
        call,
        embed,
        letter,
        partner_dashboard,
        petition,
        privacy,
        public,
        share_images,
        twilio,
        unsubscribe,
    )
    from callmp.views.admin import (
        campaigns,
        contacts,
        dashboard,
        data,
        drafts,
        login,
        partners,
        petition_counts,
        petition_deliveries,
        portfolios,
        privacy_requests,
        supporter_list,
        targets,
        users,
        versions,
    )

    staff = [
        login.bp,
        campaigns.bp,
        drafts.bp,
        targets.bp,
        partners.bp,
        portfolios.bp,
        versions.bp,
        dashboard.bp,
        petition_counts.bp,
        petition_deliveries.bp,
        contacts.bp,
        data.bp,
        users.bp,
        supporter_list.bp,
        privacy_requests.bp,
    ]
    for blueprint in [
        public.bp,
        embed.bp,
        api.bp,
        call.bp,
        letter.bp,
        petition.bp,
        privacy.bp,
        twilio.bp,
        bounces.bp,
        partner_dashboard.bp,
        share_images.bp,
        branding.bp,
        unsubscribe.bp,
        *staff,
    ]:
        app.register_blueprint(blueprint)
    security.init_auth(app, staff)
    from callmp.views.photos import init_photos

    init_photos(app)
    rate_limits.init_rate_limits(app)
    headers.init_headers(app)
    template_globals.init_template_globals(app)
    embed.init_embed(app)
    errors.register(app)
    cli.register(app)
    return app
