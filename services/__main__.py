"""``python -m services ...`` is the ``vigie`` command."""

from services.cli import app

app(prog_name="vigie")
