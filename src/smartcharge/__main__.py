from smartcharge.cli import app

app(prog_name="smartcharge")
