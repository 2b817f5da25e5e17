"""The web archive of `hotpapers serve`: day, category and paper pages, search, Atom
feeds and a JSON API, rendered from the store and cached in process."""

from bot.web.app import add_web_routes, create_web_app

__all__ = ["add_web_routes", "create_web_app"]
