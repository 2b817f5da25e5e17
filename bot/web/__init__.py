"""The web archive of `hotpapers serve`: day, category and paper pages, search, Atom
feeds and a JSON API, rendered from the store and cached in process (`bot.web.app`;
the pages' addresses, which the chat messages use too, are in `bot.render.links`)."""
