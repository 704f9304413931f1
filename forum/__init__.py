"""The recovery peer-support forum: create_app builds one configured Flask application."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Flask

# Every layer loads with the package: create_app connects them all, and nothing in forum/ is
# used without an app.
from . import cli, config as config_module, extensions_setup, moderation, realtime, services, web
from .config import PROJECT_ROOT


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: config, then extensions, blueprints, socket namespaces and CLI."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    config_module.load(app, config)
    logging.getLogger("forum").setLevel(logging.INFO)

    extensions_setup.init_app(app)
    moderation.init_app(app)
    services.init_app(app)
    web.init_app(app)
    realtime.init_app(app)
    cli.init_app(app)
    return app
