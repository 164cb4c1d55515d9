from ops.main import app

app(prog_name="wellness-ops")
