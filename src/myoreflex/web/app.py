"""The FastAPI application: pages, the small HTTP API under them, errors, safety headers."""

from __future__ import annotations

import json
import logging
import math
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request

from myoreflex.errors import MyoreflexError, NotSupported, ParameterError, RecordingError, describe
from myoreflex.web import pages, service
from myoreflex.web.uploads import (
    FORM_OVERHEAD_BYTES,
    MAX_UPLOAD_BYTES,
    BodyLimit,
    Upload,
    UploadStore,
    UploadTooLarge,
    private_copy,
    safe_name,
    scrub,
    sniff,
)

LOG = logging.getLogger("myoreflex.web")
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
                                "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


class Refused(Exception):
    """A request answered with a 4xx code and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def status_of(error: Exception) -> int:
    """The HTTP code of an error: 413 too large, 400 a bad option, 415 a file that is not the
    format its name says (or of no known format), 422 a recording that cannot be measured."""
    if isinstance(error, Refused):
        return error.status
    if isinstance(error, UploadTooLarge):
        return 413
    if isinstance(error, ParameterError):
        return 400
    if isinstance(error, NotSupported):
        return 422
    return 422


def create_app(*, max_upload_bytes: int = MAX_UPLOAD_BYTES, allowed_hosts=None, workdir=None, store=None):
    """The app: ``uvicorn.run(create_app())`` serves it (:func:`myoreflex.web.serve` does that).

    Parameters
    ----------
    max_upload_bytes : the largest file taken (bytes); a larger one is answered 413 before its body
        is read.
    allowed_hosts : the ``Host`` headers answered (default the loopback names and the test client's):
        a page elsewhere cannot reach the app by rebinding a domain name to 127.0.0.1.
    workdir : the folder under which each upload gets its private temporary folder (default the
        system's temporary folder); it is removed at the end of the request that made it.
    store : the :class:`~myoreflex.web.uploads.UploadStore` (default a new one).
    """
    store = store or UploadStore()
    app = FastAPI(title="myoreflex", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.store = store
    suffixes = _suffixes()

    # -- errors ---------------------------------------------------------------------------------

    def refusal(request, status: int, message: str):
        message = scrub(message, workdir or "")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status, headers=SECURITY_HEADERS)
        back = "/assess" if request.url.path.startswith("/assess") else "/"
        return HTMLResponse(pages.error_page(status, message, back=back), status_code=status, headers=SECURITY_HEADERS)

    @app.exception_handler(UploadTooLarge)
    async def too_large(request, error):
        return refusal(request, 413, str(error))

    @app.exception_handler(MyoreflexError)
    async def refused_error(request, error):
        return refusal(request, status_of(error), str(error))

    @app.exception_handler(Refused)
    async def refused(request, error):
        return refusal(request, error.status, str(error))

    @app.exception_handler(HTTPException)
    async def http_error(request, error):
        detail = error.detail if isinstance(error.detail, str) else "request refused"
        if error.status_code == 404:
            detail = describe(f"`{request.url.path}`", "a page of this app (/assess, /simulate, /teach, /learn, "
                              "/api/assess, /api/simulate)", "no such page")
        return refusal(request, error.status_code, detail)

    @app.exception_handler(Exception)
    async def unexpected(request, error):  # no traceback to the client; the log has it
        LOG.exception("unexpected error on %s", request.url.path)
        return refusal(request, 500, f"the server could not do this ({type(error).__name__}); see its log")

    @app.middleware("http")
    async def headers(request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    # -- helpers ----------------------------------------------------------------------------------

    async def read_upload(request: Request) -> tuple[Upload, dict]:
        """The uploaded file (checked name, size, content) and the form's other fields."""
        kind = request.headers.get("content-type", "")
        if not kind.startswith("multipart/form-data"):
            raise Refused(400, describe("request", "multipart/form-data with a field `file`", kind or "no body"))
        try:
            async with request.form(max_files=1, max_fields=16, max_part_size=FORM_OVERHEAD_BYTES) as form:
                file = form.get("file")
                fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str)}
                if not isinstance(file, UploadFile):
                    raise Refused(400, describe("form", "a file in the multipart field `file`", "none"))
                name = safe_name(file.filename)
                data = await file.read(max_upload_bytes + 1)
        except UploadTooLarge:
            raise
        except (Refused, MyoreflexError):
            raise
        except Exception as error:  # noqa: BLE001 - a malformed multipart body, or the limit hit in the parser's tasks
            too_large = _found(error, UploadTooLarge)
            if too_large is not None:
                raise too_large from None
            if isinstance(error, HTTPException):
                raise Refused(400, describe("form", "a well-formed multipart body", str(error.detail))) from None
            raise Refused(400, describe("form", "a well-formed multipart body", type(error).__name__)) from None
        if len(data) > max_upload_bytes:
            raise UploadTooLarge(max_upload_bytes, len(data))
        if not data:
            raise Refused(400, describe(f"`{name}`", "a recording", "an empty file (0 bytes)", "choose the file again"))
        try:
            sniff(name, data)
        except RecordingError as error:
            raise Refused(415, str(error)) from None
        return Upload(name, data), fields

    def assess_options(values, defaults=()) -> dict:
        """``coordinate``, ``angle_sign``, ``time_column``, ``test``, ``lenient`` of a form or query."""
        given = dict(defaults)
        unknown = sorted(set(values) - {"coordinate", "angle_sign", "time_column", "test", "lenient"})
        if unknown:
            raise ParameterError(describe("fields", "file, coordinate, angle_sign, time_column, test, lenient",
                                          ", ".join(unknown)))
        coordinate = values.get("coordinate") or given.get("angle_channel")
        if coordinate is not None and (len(coordinate) > 200 or not coordinate.isprintable()):
            raise ParameterError(describe("coordinate", "a channel name of the file", repr(coordinate[:40])))
        sign = values.get("angle_sign")
        if sign in (None, ""):
            sign = given.get("angle_sign")
        elif sign not in ("1", "-1", "1.0", "-1.0"):
            raise ParameterError(describe("angle_sign", "1 or -1", repr(sign)))
        test = values.get("test") or "pendulum"
        if test not in service.TESTS:
            raise ParameterError(describe("test", " or ".join(service.TESTS), repr(test)))
        return {"test": test, "coordinate": coordinate or None,
                "angle_sign": None if sign is None else float(sign),
                "time_column": values.get("time_column") or None,
                "lenient": service._flag(values, "lenient")}

    def measured(upload: Upload, options: dict, *, token: str | None = None):
        def compute():
            try:
                with private_copy(upload.name, upload.data, root=workdir) as path:
                    return service.assess(path, name=upload.name, **options)
            except MyoreflexError as error:
                raise type(error)(scrub(str(error), workdir or "")) from None

        if token is None:
            return compute()
        return store.result((token, tuple(sorted(options.items()))), compute)

    def stored(token: str) -> Upload:
        upload = store.get(token)
        if upload is None:
            raise Refused(404, describe("recording", "one uploaded in this session (kept an hour, 16 at most)",
                                        "none with this link", "upload it again"))
        return upload

    def query_of(options: dict) -> str:
        shown = {k: v for k, v in options.items() if v not in (None, False)}
        if shown.get("angle_sign") is not None:
            shown["angle_sign"] = f"{shown['angle_sign']:g}"
        return urlencode(shown)

    # -- API --------------------------------------------------------------------------------------

    @app.post("/api/assess")
    async def api_assess(request: Request):
        upload, fields = await read_upload(request)
        options = assess_options(fields)
        found = await run_in_threadpool(measured, upload, options)
        return JSONResponse(found.data)

    @app.post("/api/simulate")
    async def api_simulate(request: Request):
        body = await request.body()
        try:
            raw = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, describe("request body", "a JSON object of `simulate pendulum` options",
                                        "text that is not JSON")) from None
        options = service.simulation_options(raw)
        return JSONResponse(await run_in_threadpool(service.simulate_json, options))

    @app.get("/api/health")
    def api_health():
        return {"status": "ok", "uploads": len(store), "simulations_cached": service.simulated.cache_info().currsize}

    # -- pages ------------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home():
        return pages.home()

    @app.get("/static/{name}")
    def static(name: str):
        if name not in STATIC:
            raise HTTPException(404)
        data = resources.files("myoreflex.web").joinpath("static", name).read_bytes()
        return Response(data, media_type=STATIC[name], headers={"cache-control": "no-cache"})

    @app.get("/assess", response_class=HTMLResponse)
    def assess_page():
        return pages.assess_form(max_upload_bytes // (1024 * 1024), service.TESTS, suffixes)

    @app.post("/assess")
    async def assess_upload(request: Request):
        upload, fields = await read_upload(request)
        options = assess_options(fields)
        token = store.add(upload)
        return RedirectResponse(f"/assess/{token}?{query_of(options)}", status_code=303)

    @app.get("/assess/dataset/{name}")
    def assess_dataset(name: str):
        from myoreflex import datasets

        dataset = datasets.DATASETS.get(name)
        if dataset is None or not dataset.ships:
            raise Refused(404, describe("dataset", "one that ships with myoreflex: " + ", ".join(
                n for n, d in datasets.DATASETS.items() if d.ships and "." in Path(d.path).name), repr(name)))
        path = datasets.path(name)
        if not path.is_file():
            raise Refused(404, describe(f"dataset {name}", "a file", "a folder"))
        defaults = tuple((k, v) for k, v in dataset.options.items() if k in ("angle_channel", "angle_sign"))
        token = store.add(Upload(safe_name(path.name), path.read_bytes(), defaults))
        options = assess_options({}, defaults)
        return RedirectResponse(f"/assess/{token}?{query_of(options)}", status_code=303)

    @app.get("/assess/{token}", response_class=HTMLResponse)
    def assess_result(token: str, request: Request):
        upload = stored(token)
        options = assess_options(dict(request.query_params), upload.defaults)
        channels = _channels(upload)
        try:
            found = measured(upload, options, token=token)
        except MyoreflexError as error:
            status = status_of(error)
            return HTMLResponse(pages.assess_failed(token=token, name=upload.name, message=str(error),
                                                    channels=channels, options=options, tests=service.TESTS),
                                status_code=status)
        rows = service.pendulum_rows(found.records[0]) if found.test == "pendulum" else service.stretch_rows(found)
        return pages.assess_result(token=token, found=found, rows=rows, channels=channels,
                                   query=query_of(options), tests=service.TESTS)

    @app.get("/assess/{token}/figure.png")
    def assess_figure(token: str, request: Request):
        upload = stored(token)
        found = measured(upload, assess_options(dict(request.query_params), upload.defaults), token=token)
        return Response(service.assessment_png(found), media_type="image/png")

    @app.get("/assess/{token}/download.{kind}")
    def assess_download(token: str, kind: str, request: Request):
        upload = stored(token)
        if kind not in service.DOWNLOADS:
            raise Refused(404, describe("download", " or ".join(service.DOWNLOADS), repr(kind)))
        options = assess_options(dict(request.query_params), upload.defaults)
        found = measured(upload, options, token=token)
        stem = Path(upload.name).stem
        if kind == "json":
            data = json.dumps(found.data, indent=2).encode("utf-8")
        elif kind == "html":
            def report():
                with private_copy(upload.name, upload.data, root=workdir) as path:
                    return service.report_html(path, found)
            data = report()
        else:
            if len(found.trials) != 1:
                raise Refused(400, describe(f"{kind} download", "one recording", f"{len(found.trials)} segments",
                                            "download the JSON or the report"))
            data = service.trial_download(found.trials[0], kind, upload.name, root=workdir)
        suffix = {"html": "report.html"}.get(kind, "measures.json" if kind == "json" else kind)
        filename = f"{stem}_{suffix}" if kind in ("html", "json") else f"{stem}.{kind}"
        return Response(data, media_type=service.DOWNLOADS[kind],
                        headers={"content-disposition": f"attachment; filename=\"{filename}\""})

    @app.get("/simulate", response_class=HTMLResponse)
    def simulate_page():
        return pages.simulate_page()

    @app.get("/simulate/figure.png")
    def simulate_figure(request: Request):
        options = service.simulation_options(_simulation_query(request.query_params))
        return Response(service.simulation_png(options), media_type="image/png")

    @app.get("/teach", response_class=HTMLResponse)
    def teach_page():
        return pages.teach_page()

    @app.get("/teach/signals")
    def teach_signals(request: Request):
        query = dict(request.query_params)
        muscle = query.pop("muscle", None) or None
        options = service.simulation_options(_simulation_query(query))
        return JSONResponse(service.loop_signals(options, muscle=muscle))

    @app.get("/learn", response_class=HTMLResponse)
    def learn(request: Request):
        from myoreflex.knowledge import explain, load_entries

        term = request.query_params.get("q", "").strip()[:100]
        if term:
            return pages.learn_page(load_entries(), term=term, found=explain(term))
        return pages.learn_page(load_entries())

    @app.get("/learn/{entry_id}", response_class=HTMLResponse)
    def learn_entry(entry_id: str):
        from myoreflex.knowledge import get_entry

        try:
            entry = get_entry(entry_id[:100])
        except ParameterError as error:
            raise Refused(404, str(error)) from None
        return pages.entry_page(entry)

    hosts = list(allowed_hosts) if allowed_hosts is not None else [*LOCAL_HOSTS, "testserver"]
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    return BodyLimit(app, max_upload_bytes + FORM_OVERHEAD_BYTES)


def _found(error: BaseException, kind: type):
    """``error`` or the first exception of type ``kind`` inside it (an exception group's leaves)."""
    if isinstance(error, kind):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _found(inner, kind)
        if found is not None:
            return found
    return None


def _suffixes() -> list[str]:
    from myoreflex.io import READERS

    return [key for key in READERS if key != ".parquet"] + [".parquet"]


def _simulation_query(query) -> dict:
    """A page's query as simulation options: ``treatment_name`` and ``dose`` make ``treatment``."""
    values = {k: v for k, v in dict(query).items() if v != ""}
    name, dose = values.pop("treatment_name", None), values.pop("dose", None)
    if name:
        values["treatment"] = f"{name}:{dose}" if dose not in (None, "") else name
    return values


def _channels(upload: Upload) -> list[str]:
    """The columns of a text recording's header (the angle channel to pick); empty for other formats."""
    from myoreflex.web.uploads import TEXT_SUFFIXES

    if Path(upload.name).suffix.lower() not in TEXT_SUFFIXES:
        return []
    head = upload.data[:65536].decode("utf-8", errors="replace").splitlines()
    lines = [line for line in head if line.strip()]
    for index, line in enumerate(lines):
        if line.strip().lower() == "endheader":
            lines = lines[index + 1:]
            break
    if not lines:
        return []
    header = lines[0]
    separator = "," if header.count(",") >= header.count("\t") and "," in header else "\t" if "\t" in header else None
    names = [n.strip().strip('"') for n in (header.split(separator) if separator else header.split())]
    names = [n for n in names if n and not n.lower().startswith("time") and len(n) <= 100]
    return names[:200] if names and not all(_is_number(n) for n in names) else []


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
