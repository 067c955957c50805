"""The local browser app: ``myoreflex serve`` (the ``web`` extra: FastAPI, uvicorn, python-multipart).

Four sections on one server that runs on this computer (bound to 127.0.0.1 by default) and keeps the
compiled model warm in its process:

- **Assess**: drop a recording (CSV, OpenSim .mot/.sto, C3D, IPSA .mat, Motion-BIDS), pick the
  angle channel, see the measures with the annotated figure and the healthy references the code
  carries, and download them (JSON, CSV, .mot, the HTML report of :mod:`myoreflex.report.html`);
- **Simulate**: a pendulum test or motorized stretches, with the condition, severity, subject size
  and treatment as controls generated from the library's declarations; the figure redraws as they move;
- **Teach**: the reflex loop as a diagram and the signals along it (spindle Ia and II, tendon organ Ib,
  motor-neuron drive, activation, force, angle) of a chosen simulation, to step through;
- **Learn**: the knowledge pages of :mod:`myoreflex.knowledge`.

Under the pages, a small HTTP API for scripts: ``POST /api/assess`` (multipart field ``file``,
optional ``coordinate``, ``angle_sign``, ``time_column``, ``lenient``, ``test`` = ``pendulum`` or
``manual``) answers the JSON of ``myoreflex assess pendulum --json`` (``assess manual --json``), with
``file`` the uploaded file's name; ``POST /api/simulate`` takes the options of ``simulate pendulum``
as a JSON object (``condition``, ``severity``, ``lenient``, ``age_years``, ``sex``,
``body_mass_kg``, ``height_m``, ``calibrated``, ``release_angle_deg``, ``duration_s``; also
``treatment`` = ``NAME[:DOSE]``, and ``test`` = ``stretch``
with ``joint`` and ``velocity_deg_s`` for ``simulate stretch``) and answers that command's JSON.
Errors are ``{"error": "..."}`` with a 4xx code: 400 a bad option or form, 404 an unknown page or
expired upload, 413 a file over the limit (refused before it is read), 415 a file that is not the
format its name says, 422 a recording that cannot be measured (the reader's or the quality gate's
message).

Why FastAPI: the app is mostly an HTTP API that the pages call, and FastAPI (on Starlette) gives the
routes, multipart uploads, ASGI middleware for the size limit and a test client with nothing else;
the pages are plain server-rendered HTML with one small script of our own, so nothing is fetched
from outside and the app works offline. Panel would bring a Bokeh front end and its websocket
protocol for what a few HTML controls and PNG figures do here, and no plain JSON API for scripts.

Safety: :mod:`myoreflex.web.uploads` (size, names, content sniffing, private temporary copies
removed at once, no paths in messages); the server answers only loopback ``Host`` names (no DNS
rebinding), sends a strict content security policy, and never shows a traceback.
"""

from __future__ import annotations

from myoreflex.errors import require_extra
from myoreflex.web.uploads import MAX_UPLOAD_BYTES


def create_app(**options):
    """The ASGI app (:func:`myoreflex.web.app.create_app`: ``max_upload_bytes``, ``allowed_hosts``,
    ``workdir``, ``store``); needs the ``web`` extra.

    Examples
    --------
    >>> from starlette.testclient import TestClient                  # doctest: +SKIP
    >>> client = TestClient(create_app())                            # doctest: +SKIP
    >>> client.post("/api/simulate", json={"condition": "stroke", "severity": 0.5}).json()["metrics"]["r1"]  # doctest: +SKIP
    1.48...
    """
    require_extra("fastapi", "web")
    require_extra("multipart", "web")
    from myoreflex.web.app import create_app as make

    return make(**options)


def serve(host: str = "127.0.0.1", port: int = 8000, *, warm: bool = True, max_upload_bytes: int = MAX_UPLOAD_BYTES,
          log_level: str = "warning") -> None:
    """Start the app at ``http://host:port`` and serve until interrupted (``myoreflex serve``).

    Starts JAX once (:func:`myoreflex.runtime.configure`), runs each simulation the pages use once
    so that the first redraw is fast (``warm``), then serves with uvicorn. A host other than a
    loopback address makes the app reachable from the network: it says so, and answers any
    ``Host`` name.
    """
    uvicorn = require_extra("uvicorn", "web")
    from myoreflex.runtime import configure
    from myoreflex.web.app import LOCAL_HOSTS

    app = create_app(max_upload_bytes=max_upload_bytes,
                     allowed_hosts=None if host in LOCAL_HOSTS else ["*"])
    configure()
    if warm:
        from myoreflex.web.service import warm_up

        print("myoreflex: warming up the model (the first time compiles it, about a minute)...", flush=True)
        print(f"myoreflex: warm after {warm_up():.1f} s", flush=True)
    if host not in LOCAL_HOSTS:
        print(f"myoreflex: WARNING: serving on {host}, reachable from the network; the app has no login.", flush=True)
    shown = f"[{host}]" if ":" in host else host
    print(f"myoreflex: open http://{shown}:{port}/ (Ctrl+C stops the server). Research and teaching tool, "
          "not a medical device.", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


__all__ = ["MAX_UPLOAD_BYTES", "create_app", "serve"]
