"""The web console: desk work for instructors and admins, a channel over the same chat core.

`app.py` builds the aiohttp application (pages are server-rendered Jinja2, escaped);
`auth.py` signs people in from a one-time link and checks their role on every request;
the `pages_*` modules hold the pages, one area each; `serve.py` runs it beside the bot.
"""
