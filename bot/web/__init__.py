"""The web archive of `hotpapers serve`: day, category and paper pages, search, Atom
feeds and a JSON API, rendered from the store and cached in process (`bot.web.app`).
Importing the package loads nothing heavy: `bot.web.links` serves the core too."""
