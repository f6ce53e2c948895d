"""`fireline sandbox`: serve the simulated document platform, break it, and watch it heal.

`serve` runs the sandbox (simulation, metrics, query and admin API, rule evaluator) and sends
its alerts to Fireline; `fault`, `status` and `clear` talk to a running sandbox over HTTP.
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer
import uvicorn
from rich.markup import escape
from rich.table import Table

from fireline.cli.listener import listen
from fireline.cli.output import Exit, console, fail, print_json
from fireline.clock import SystemClock
from fireline.sandbox.app import Sandbox, create_app, ticking
from fireline.sandbox.faults import FaultName
from fireline.sandbox.rules import humanize_duration
from fireline.sandbox.sender import Sender

app = typer.Typer(
    help="The simulated document platform: serve it, inject faults, watch it heal.",
    no_args_is_help=True,
)

DEFAULT_SANDBOX = "http://127.0.0.1:9200"
DEMO_KEY = "demo-alertmanager-key"
TIMEOUT_S = 10.0
_UNREACHABLE_HINT = "start it with `fireline sandbox serve`, or pass --sandbox / FIRELINE_SANDBOX"

SandboxUrl = Annotated[
    str,
    typer.Option("--sandbox", envvar="FIRELINE_SANDBOX", help="The sandbox's URL"),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


@app.command("serve")
def serve(
    *,
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind, 0 for any free one")] = 9200,
    fireline: Annotated[
        str | None,
        typer.Option(
            "--fireline",
            help="Fireline's URL, to send alerts to (without it they are only evaluated)",
            show_default=False,
        ),
    ] = None,
    key: Annotated[str, typer.Option(help="Key of Fireline's Alertmanager integration")] = DEMO_KEY,
    seed: Annotated[int, typer.Option(help="Seed of the simulation's randomness")] = 0,
) -> None:
    """Run the sandbox platform, its metrics and admin API, and its alerting rules."""
    listener = listen(host, port)
    url = f"http://{f'[{host}]' if ':' in host else host}:{listener.getsockname()[1]}"
    sender = Sender(fireline, key=key, external_url=url) if fireline else None
    sandbox = Sandbox(clock=SystemClock(), seed=seed, sender=sender)
    console.print(f"Sandbox serving on [bold]{escape(url)}[/]  (seed {seed})", soft_wrap=True)
    if sender is None:
        console.print("Alerts are evaluated but not sent: pass --fireline URL to send them.")
    else:
        target = f"{fireline.rstrip('/') if fireline else ''}/integrations/alertmanager/<key>"
        console.print(f"Sending alerts to {escape(target)}", soft_wrap=True)
    console.print(
        f"Break it: fireline sandbox fault queue-saturation --sandbox {escape(url)}",
        soft_wrap=True,
    )
    config = uvicorn.Config(create_app(sandbox), host=host, port=0, log_level="info")
    try:
        with listener, ticking(sandbox):
            uvicorn.Server(config).run(sockets=[listener])
    finally:
        sandbox.close()


@app.command("fault")
def fault(
    name: Annotated[FaultName, typer.Argument(help="The fault to inject")],
    *,
    sandbox: SandboxUrl = DEFAULT_SANDBOX,
    as_json: AsJson = False,
) -> None:
    """Inject a fault; it stays until its mitigation is done (or `fireline sandbox clear`)."""
    result = _call("POST", sandbox, f"/admin/faults/{name.value}")
    if as_json:
        print_json(result)
        return
    state = "injected" if result["changed"] else "already active"
    console.print(f"{name.value} {state}: {escape(result['effect'])}", soft_wrap=True)
    console.print(f"Healed by: {escape(result['healed_by'])}", soft_wrap=True)


@app.command("clear")
def clear(*, sandbox: SandboxUrl = DEFAULT_SANDBOX, as_json: AsJson = False) -> None:
    """End every active fault at once, without mitigating (for tests and demos)."""
    result = _call("POST", sandbox, "/admin/faults/clear")
    if as_json:
        print_json(result)
        return
    cleared = result["cleared"]
    console.print(f"cleared: {', '.join(cleared)}" if cleared else "no fault was active")


@app.command("status")
def status(*, sandbox: SandboxUrl = DEFAULT_SANDBOX, as_json: AsJson = False) -> None:
    """Show the platform's key metrics, its active faults and its alerts."""
    state = _call("GET", sandbox, "/admin/state")
    if as_json:
        print_json(state)
        return
    console.print(_metrics_table(state))
    faults = state["faults"]
    if not faults:
        console.print("No active faults.")
    for active in faults:
        console.print(
            f"[bold red]fault[/] {escape(active['name'])} since {escape(active['injected_at'])}"
            f"; healed by {escape(active['healed_by'])}",
            soft_wrap=True,
        )
    for alert in state["alerts"]:
        summary = alert["annotations"].get("summary", "")
        console.print(
            f"[bold]alert[/] {escape(alert['alertname'])} {alert['status']}: {escape(summary)}",
            soft_wrap=True,
        )


def _metrics_table(state: dict[str, Any]) -> Table:
    table = Table(title=f"Sandbox at {state['at']}", show_header=True)
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    rows = [
        ("Extraction workers", str(state["workers"])),
        ("Intake", "paused" if state["intake_paused"] else "accepting"),
        ("Queue depth", str(state["queue_depth"])),
        ("Oldest job age", _age(state["queue_oldest_age_seconds"])),
        ("Upload errors (1m)", f"{state['upload_error_ratio']:.1%}"),
        ("Extraction errors (1m)", f"{state['extraction_error_ratio']:.1%}"),
        ("Dead letters", str(state["dead_letters"])),
        ("Uploads", str(state["uploads_total"])),
        ("Jobs completed", str(state["jobs_completed_total"])),
    ]
    rows += [
        (f"Token {name} expires in", humanize_duration(token["expires_in_seconds"]))
        for name, token in state["tokens"].items()
    ]
    for row in rows:
        table.add_row(*row)
    return table


def _age(seconds: float) -> str:
    return humanize_duration(seconds) if seconds >= 1 else "0s"


def _call(method: str, base: str, path: str) -> Any:
    url = f"{base.rstrip('/')}{path}"
    try:
        response = httpx.request(method, url, timeout=TIMEOUT_S)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        fail(f"cannot reach the sandbox at {base}: {error}", hint=_UNREACHABLE_HINT)
        raise typer.Exit(Exit.UNAVAILABLE) from error
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        fail(f"{base} answered {method} {path} with something other than the sandbox's JSON")
        raise typer.Exit(Exit.UNAVAILABLE)
    if not response.is_success:
        fail(f"{response.status_code} {body.get('error') or response.reason_phrase}")
        raise typer.Exit(Exit.NOT_FOUND if response.status_code == 404 else Exit.REJECTED)
    return body
