"""The remote backend against a real `python -m llama_cpp.server` (default model, loopback), shared by
the module: streaming, exact counts from the server's tokenizer, cancellation that closes the
stream, prefix reuse, a server that is down, bad URLs, and the engine choosing the backend.

A few failure modes a real server cannot be made to show on demand (503 while loading, silence,
dying mid-answer, not being an OpenAI server at all) use a stand-in `http.server` on loopback; each
such test says so.
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from llama_server import LOGS, client_sockets, free_port

from penna.config import Settings
from penna.engine import Engine
from penna.writing import remote as remote_module
from penna.writing import wire
from penna.writing.backend import Cancelled, CancelToken, GenerationStats
from penna.writing.calibration_session import draft_order, needs_calibration, stored_calibration
from penna.writing.model import LlamaModel
from penna.writing.registry import resolve_model
from penna.writing.remote import ATTEMPTS, BACKOFF, RemoteError, RemoteModel, parse_url

TEXT = "Cold kitchen, 17°C, everything slow; start the levain the night before — and watch the dough."


@pytest.fixture
def remote(server: str) -> Iterator[RemoteModel]:
    model = RemoteModel.connect(server, n_ctx=2048)
    yield model
    model.close()


def port_of(url: str) -> int:
    return parse_url(url).port


# --- addresses (no network) -----------------------------------------------------------------------
@pytest.mark.parametrize(("url", "message"), [
    ("", "remoteUrl is empty"),
    ("127.0.0.1:8080", "has no scheme: did you mean http://127.0.0.1:8080"),
    ("ftp://127.0.0.1:8080", "only http:// and https://"),
    ("http://127.0.0.1:80a80", "invalid port"),
    ("http://:8080", "no host name"),
    ("http://127.0.0.1:8080/v1?key=x", "without ?query"),
])
def test_bad_urls_are_refused_with_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(RemoteError, match=message.replace("?", r"\?")):
        parse_url(url)


def test_a_base_url_with_or_without_v1_is_the_same_server() -> None:
    plain, openai_style = parse_url("http://gpu-box:8080"), parse_url("http://gpu-box:8080/v1/")
    assert plain == openai_style and plain.prefix == "" and plain.port == 8080
    proxied = parse_url("https://example.org/llm/v1")
    assert (proxied.port, proxied.prefix, proxied.url) == (443, "/llm", "https://example.org/llm")


# --- the real server ------------------------------------------------------------------------------
@pytest.mark.model
@pytest.mark.e2e
def test_connect_learns_the_model_and_counts_exactly_like_the_local_tokenizer(remote: RemoteModel,
                                                                             default_model: LlamaModel) -> None:
    assert remote.tokenizer == "llama_cpp.server" and remote.exact_count
    assert remote.name.endswith(".gguf") and remote.n_ctx == 2048
    for text in (TEXT, "", "## Notes I turned into prose\nNotes: a; b\nText:"):
        assert remote.count(text) == default_model.count(text), text


@pytest.mark.model
@pytest.mark.e2e
def test_streaming_yields_pieces_as_they_come_and_honours_stop(remote: RemoteModel) -> None:
    stats = GenerationStats()
    arrivals: list[float] = []
    pieces = []
    for piece in remote.stream("# Bread\n\nMy sourdough notes, written out.\n\n", max_tokens=40, temperature=0.7,
                               seed=3, stop=["\n"], stats=stats):
        arrivals.append(time.perf_counter())
        pieces.append(piece)
    assert len(pieces) >= 3 and "\n" not in "".join(pieces)
    assert arrivals[-1] > arrivals[0]  # streamed, not delivered at once
    assert stats.generated_tokens == len(pieces) and 0 < stats.first_token_seconds <= stats.seconds
    assert stats.prompt_tokens == remote.count("# Bread\n\nMy sourdough notes, written out.\n\n") + 1  # + BOS
    assert remote.streams_open == 0


@pytest.mark.model
@pytest.mark.e2e
def test_cancel_closes_the_stream_and_the_server_keeps_serving(server: str, remote: RemoteModel) -> None:
    port = port_of(server)
    before = client_sockets(port)
    cancel = CancelToken()
    seen: list[str] = []
    during: set[int] = set()
    seen_when_fired: list[int] = []

    def fire() -> None:  # from another thread, as the language server does
        cancel.cancel()
        seen_when_fired.append(len(seen))

    with pytest.raises(Cancelled):
        for piece in remote.stream("Once upon a time, in a cold kitchen,", max_tokens=1000, temperature=0.8,
                                   seed=1, stop=[], cancel=cancel):
            seen.append(piece)
            if len(seen) == 3:
                during.update(client_sockets(port) - before)
                threading.Timer(0.05, fire).start()
    # It stopped at once, far from the 1,000 tokens asked: after the cancel, no piece came but the
    # one the reader may already have had in hand. (How long it takes is not asserted: `penna bench`
    # times the local model's cancel; a model server's is not among its figures.)
    assert seen_when_fired and 3 <= len(seen) < 200
    assert len(seen) <= seen_when_fired[0] + 1, (len(seen), seen_when_fired)
    assert len(during) == 1  # the stream had its own connection…
    assert remote.streams_open == 0
    for _ in range(40):  # …and it is gone (the kernel may take a moment to update its table)
        if not during & client_sockets(port):
            break
        time.sleep(0.05)
    assert not during & client_sockets(port)
    again = "".join(remote.stream("The oven", max_tokens=8, temperature=0.7, seed=2, stop=[]))
    assert again.strip()


@pytest.mark.model
@pytest.mark.e2e
def test_cancel_during_prompt_evaluation_returns_at_once(remote: RemoteModel, monkeypatch: pytest.MonkeyPatch) -> None:
    prompt = " ".join(f"Line {i}: the dough rose slowly in the cold." for i in range(25))  # ~330 tokens, cold
    # The server answers with its first token, once it has evaluated the prompt (over a second
    # for this prompt on 2 cores). Record every event read from its stream.
    read: list[object] = []
    real_events = remote_module.events

    def recorded(response: http.client.HTTPResponse) -> Iterator[dict | None]:
        for event in real_events(response):
            read.append(event)
            yield event

    monkeypatch.setattr(remote_module, "events", recorded)
    cancel = CancelToken()
    threading.Timer(0.2, cancel.cancel).start()
    with pytest.raises(Cancelled):
        for _ in remote.stream(prompt, max_tokens=50, temperature=0.7, seed=1, stop=[], cancel=cancel):
            pass
    # The socket was shut down while the server was still evaluating: we did not wait for its answer.
    assert read == [], read
    assert "".join(remote.stream("Bread", max_tokens=6, temperature=0.7, seed=1, stop=[])).strip()


@pytest.mark.model
@pytest.mark.e2e
def test_a_warmed_prefix_makes_the_next_request_start_fast(server: str, remote: RemoteModel) -> None:
    prefix = "# Notebook\n\n" + " ".join(f"Note {i}: flour, water, salt and time." for i in range(25))
    tail = "\n\nNotes: rye\nText:"
    remote.warm(prefix)
    log = LOGS[server]
    seen = log.stat().st_size
    stats = GenerationStats()
    text = "".join(remote.stream(prefix + tail, max_tokens=4, temperature=0.7, seed=1, stop=[], stats=stats))
    assert text and stats.first_token_seconds is not None
    # The server evaluated the prefix once; only the tail is new. llama_cpp says so in its log
    # (the benchmark measures what that saves).
    with log.open(encoding="utf-8", errors="replace") as lines:
        lines.seek(seen)
        hits = re.findall(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens", lines.read())
    assert hits, "the server did not reuse the warmed prefix"
    reused, evaluated = map(int, hits[-1])
    assert reused >= remote.count(prefix) - 1 and evaluated <= remote.count(tail) + 2, hits


@pytest.mark.model
@pytest.mark.e2e
def test_a_prompt_larger_than_the_servers_window_is_refused_clearly(remote: RemoteModel) -> None:
    with pytest.raises(remote_module.ModelError, match="does not fit the model server's context window"):
        list(remote.stream("bread " * 2100, max_tokens=50, temperature=0.7, seed=1, stop=[]))


# --- a server that is down or wrong ---------------------------------------------------------------
def test_a_server_that_is_down_fails_clearly_after_bounded_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there
    attempts = []
    real_connect = http.client.HTTPConnection.connect
    monkeypatch.setattr(http.client.HTTPConnection, "connect",
                        lambda self: (attempts.append(1), real_connect(self))[1])
    waits: list[float] = []
    real_sleep = time.sleep
    monkeypatch.setattr(wire.time, "sleep", lambda seconds: (waits.append(seconds), real_sleep(seconds))[1])
    with pytest.raises(RemoteError, match=rf"127.0.0.1:{port} is not reachable \(connection refused after "
                                          rf"{ATTEMPTS} attempts\): is it running\?"):
        RemoteModel.connect(f"http://127.0.0.1:{port}", n_ctx=2048)
    assert len(attempts) == ATTEMPTS
    assert waits == [BACKOFF * 2 ** i for i in range(ATTEMPTS - 1)]  # it backed off, doubling, then gave up

    attempts.clear()
    offline = RemoteModel(parse_url(f"http://127.0.0.1:{port}"), n_ctx=2048)
    with pytest.raises(RemoteError, match="not reachable"):
        list(offline.stream("Bread", max_tokens=4, temperature=0.7, seed=1, stop=[]))
    assert len(attempts) == ATTEMPTS and offline.streams_open == 0


def test_cancel_stops_the_retries_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    backoff = 60.0  # a wait the cancel must cut short: the test would take a minute otherwise
    monkeypatch.setattr(wire, "BACKOFF", backoff)
    offline = RemoteModel(parse_url(f"http://127.0.0.1:{free_port()}"), n_ctx=2048)
    backoff_waits: list[bool] = []

    class RecordingEvent(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            woken = super().wait(timeout)
            if timeout == backoff:
                backoff_waits.append(woken)
            return woken

    cancel = CancelToken(event=RecordingEvent())
    real_connect = http.client.HTTPConnection.connect

    def refused_then_cancel(conn: http.client.HTTPConnection) -> None:
        try:
            real_connect(conn)
        finally:  # the user cancels while penna waits to try again
            threading.Timer(0.1, cancel.cancel).start()

    monkeypatch.setattr(http.client.HTTPConnection, "connect", refused_then_cancel)
    with pytest.raises(Cancelled):
        list(offline.stream("Bread", max_tokens=4, temperature=0.7, seed=1, stop=[], cancel=cancel))
    assert backoff_waits == [True]  # the first wait before a retry ended with the cancel, and no retry followed


@contextmanager
def stand_in(handle: Callable[[http.server.BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A stand-in HTTP server on loopback: for server behaviours a real one cannot be made to show."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            handle(self)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def reply(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes,
          content_type: str = "application/json") -> None:
    handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def sse(*events: dict) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"


def test_a_web_server_that_is_not_a_model_server_is_named_as_such() -> None:
    # Stand-in: any web server without the OpenAI API (a wrong port, a dashboard).
    with (stand_in(lambda h: reply(h, 404, b"<html>Not Found</html>", "text/html")) as url,
          pytest.raises(RemoteError, match="is not an OpenAI-compatible model server")):
        RemoteModel.connect(url, n_ctx=2048)


def test_a_server_still_loading_its_model_is_retried_then_used() -> None:
    # Stand-in: llama-server answers 503 {"error": "Loading model"} until its model is loaded.
    calls = {"completions": 0}

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path == "/v1/completions":
            calls["completions"] += 1
            if calls["completions"] < ATTEMPTS:
                reply(h, 503, b'{"error": {"code": 503, "message": "Loading model"}}')
                return
            reply(h, 200, sse({"choices": [{"text": "Bread", "finish_reason": None}]},
                              {"choices": [{"text": " rises.", "finish_reason": "stop"}]}), "text/event-stream")
        else:
            reply(h, 404, b'{"detail": "Not Found"}')

    with stand_in(handle) as url:
        model = RemoteModel(parse_url(url), n_ctx=2048)
        assert "".join(model.stream("x", max_tokens=4, temperature=0.7, seed=1, stop=[])) == "Bread rises."
        assert calls["completions"] == ATTEMPTS


def test_a_server_that_stays_silent_times_out_with_a_clear_message() -> None:
    # Stand-in: a server that accepts the request and never answers (hung, or a wrong service).
    release = threading.Event()
    requests: list[str] = []

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        requests.append(h.path)
        release.wait(5)

    with stand_in(handle) as url:
        model = RemoteModel(parse_url(url), n_ctx=2048, read_timeout=0.5)
        with pytest.raises(RemoteError, match=r"did not answer within 0.5 s before answering"):
            list(model.stream("x", max_tokens=4, temperature=0.7, seed=1, stop=[]))
        assert len(requests) == 1, requests  # a read timeout is not retried: the server was busy
        release.set()


def test_a_server_that_dies_mid_answer_is_reported_and_the_error_event_is_shown() -> None:
    # Stand-in: the connection closes after one piece, with no [DONE] (the server crashed).
    def dying(h: http.server.BaseHTTPRequestHandler) -> None:
        h.rfile.read(int(h.headers.get("Content-Length") or 0))
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b'data: {"choices": [{"text": "Bread", "finish_reason": null}]}\n\n')
        h.wfile.flush()
        h.close_connection = True

    with stand_in(dying) as url:
        model = RemoteModel(parse_url(url), n_ctx=2048)
        pieces: list[str] = []
        with pytest.raises(RemoteError, match="closed the connection mid-answer"):
            pieces.extend(model.stream("x", max_tokens=4, temperature=0.7, seed=1, stop=[]))
        assert pieces == ["Bread"]  # what arrived was delivered; nothing was retried after text

    def failing(h: http.server.BaseHTTPRequestHandler) -> None:
        reply(h, 200, b'data: {"error": {"message": "slot unavailable"}}\n\n', "text/event-stream")

    with stand_in(failing) as url, pytest.raises(RemoteError, match="failed mid-answer: slot unavailable"):
        list(RemoteModel(parse_url(url), n_ctx=2048).stream("x", max_tokens=4, temperature=0.7, seed=1, stop=[]))


def test_without_a_tokenizer_endpoint_counts_fall_back_to_tiktoken_and_say_so() -> None:
    # Stand-in: an Ollama-like server (/v1/models and /v1/completions, no tokenizer endpoint).
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path == "/v1/models":
            reply(h, 200, b'{"object": "list", "data": [{"id": "llama3.2:3b"}, {"id": "qwen3:4b"}]}')
        else:
            reply(h, 404, b"404 page not found", "text/plain")

    with stand_in(handle) as url:
        model = RemoteModel.connect(url, n_ctx=4096, model="ollama:qwen3:4b")
        assert model.model_id == "qwen3:4b" and model.tokenizer is None and not model.exact_count
        assert model.count(TEXT) > 10
        with pytest.raises(RemoteError, match=r"has no model 'mistral'; it serves: llama3\.2:3b, qwen3:4b"):
            RemoteModel.connect(url, n_ctx=4096, model="mistral")


# --- the engine picks the backend -----------------------------------------------------------------
@pytest.mark.model
@pytest.mark.e2e
def test_the_engine_generates_through_the_server_when_remote_url_is_set(server: str, sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings(remote_url=server, seed=7, max_tokens=64, n_ctx=1024))  # small: fast
    engine.sync()
    count, exact = engine.counter()
    assert isinstance(engine.model(), RemoteModel) and exact
    assert engine.model_host.tokenizer is None  # no local model or vocabulary was loaded
    assert engine.model_state.state == "ready" and engine.model_state.choice.source == "remote"
    pieces: list[str] = []
    result = engine.generate("expand", "Drafts/Winter loaf.md", "- cold kitchen\n- slow bulk ferment",
                             on_text=lambda _n, text: pieces.append(text))
    assert result.texts[0].strip() and pieces and result.context.exact
    assert count(result.context.prompt) == result.context.tokens
    engine.close()


@pytest.mark.model
@pytest.mark.e2e
def test_a_model_server_is_tried_on_its_own_sentences_only_and_writes_freely(server: str, sample_vault: Path) -> None:
    """A model server only streams text: its trial judges its own sentences (restoring cannot be
    tried), and it writes freely whatever the trial finds; the result is said and stored."""
    engine = Engine(sample_vault, Settings(remote_url=server, seed=7, max_tokens=64, n_ctx=1024))
    engine.sync()
    try:
        # Nothing to decide for a model that cannot restore.
        assert not needs_calibration(engine.index, engine.model_host)
        found = engine.calibrate(count=2)
        assert len(found.trials) == 2 and not found.restores
        assert all(t.free and t.restored is None for t in found.trials)
        assert found.order == "free" and "cannot restore" in found.summary()
        assert stored_calibration(engine.index, engine.model_host.backend) == found
        assert draft_order(engine.index, engine.model()) == "free"
    finally:
        engine.close()


def test_the_engine_reports_a_server_that_is_down_and_counts_with_tiktoken(sample_vault: Path) -> None:
    engine = Engine(sample_vault, Settings(remote_url=f"http://127.0.0.1:{free_port()}"))
    engine.sync()
    count, exact = engine.counter()
    assert not exact and count(TEXT) > 0
    assert engine.model_state.state == "error" and "not reachable" in (engine.model_state.error or "")
    with pytest.raises(RemoteError, match="is it running"):
        engine.generate("expand", None, "- cold kitchen")
    engine.close()


@pytest.mark.model
@pytest.mark.e2e
def test_penna_model_use_a_server_checks_it_saves_it_and_the_engine_follows(
        server: str, sample_vault: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from penna.cli import main
    from penna.writing.registry import saved_choice

    dead = f"http://127.0.0.1:{free_port()}"
    assert main(["model", "use", dead]) == 1
    assert "not reachable" in capsys.readouterr().err and saved_choice() is None  # checked before saving

    assert main(["model", "use", server + "/v1"]) == 0
    out = capsys.readouterr().out
    assert f"the model server at {server}" in out and "llama_cpp.server tokenizer" in out
    assert saved_choice() is not None and saved_choice().remote_url == server
    assert main(["model", "show"]) == 0
    assert "saved with `penna model use`" in capsys.readouterr().out

    engine = Engine(sample_vault, Settings())  # the editor sent nothing: the saved server is used
    assert isinstance(engine.model(), RemoteModel)
    engine.apply_settings(Settings(model=str(resolve_model("default").path)))  # an explicit local model wins
    assert not isinstance(engine.model(), RemoteModel)
    engine.close()


def test_an_api_key_from_the_environment_is_sent_and_a_refusal_says_how_to_give_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Stand-in: a server started with --api-key (llama-server, vLLM) checks the bearer token.
    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.headers.get("Authorization") != "Bearer s3cret":
            reply(h, 401, b'{"error": {"code": 401, "message": "Invalid API Key"}}')
        elif h.path == "/v1/models":
            reply(h, 200, b'{"data": [{"id": "big-model"}]}')
        else:
            reply(h, 404, b'{"error": {"message": "not here"}}')

    with stand_in(handle) as url:
        with pytest.raises(RemoteError, match="wants an API key; set PENNA_API_KEY"):
            RemoteModel.connect(url, n_ctx=2048)
        monkeypatch.setenv("PENNA_API_KEY", "s3cret")
        assert RemoteModel.connect(url, n_ctx=2048).model_id == "big-model"


# --- the window and the counts the engine plans with ----------------------------------------------
DRAFT = "Drafts/Winter loaf.md"
BULLETS = "- cold kitchen\n- slow bulk ferment"


@pytest.mark.model
@pytest.mark.e2e
def test_the_engine_fits_sections_on_estimates_and_counts_the_final_prompt_once(
        server: str, sample_vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(sample_vault, Settings(remote_url=server, n_ctx=2048, max_tokens=64))
    engine.sync()
    remote = engine.model()
    asked: list[str] = []
    real_count = RemoteModel._remote_count
    monkeypatch.setattr(RemoteModel, "_remote_count",
                        lambda self, text, dialect: (asked.append(text), real_count(self, text, dialect))[1])
    context = engine.context(DRAFT, "expand", BULLETS)
    # Before, every exemplar and passage was a /tokenize round trip; now only the whole prompt is.
    assert asked == [context.prompt]
    assert context.exact and context.tokens + 1 + context.budget.max_new_tokens <= 2048
    assert abs(remote.estimate(context.prompt) - context.tokens) <= 0.15 * context.tokens  # the ratio is learned
    engine.close()


@pytest.mark.model
@pytest.mark.e2e
def test_an_answer_shortened_to_fit_the_window_is_said(
        server: str, sample_vault: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from penna.cli import main
    from penna.context.viewer import context_markdown
    from penna.writing.backend import ANSWER_LIMITED

    # Writing that tokenizes more finely than the calibration sample (code, another script) makes
    # the estimate undercount: simulated by halving the learned ratio. The exact count of the
    # final prompt then shows the answer cannot have its full 400 tokens.
    connect = RemoteModel.connect.__func__  # type: ignore[attr-defined]

    def undercounting(cls: type[RemoteModel], *args: object, **kwargs: object) -> RemoteModel:
        model = connect(cls, *args, **kwargs)
        model.ratio *= 0.5
        return model

    monkeypatch.setattr(RemoteModel, "connect", classmethod(undercounting))
    engine = Engine(sample_vault, Settings(remote_url=server, seed=7, n_ctx=1024, max_tokens=400))
    engine.sync()
    result = engine.generate("expand", DRAFT, BULLETS)
    context = result.context
    limited = [note for note in context.notes if note.startswith(ANSWER_LIMITED)]
    assert limited and 16 <= context.budget.max_new_tokens < 400, (context.notes, context.budget)
    assert context.tokens + 1 + context.budget.max_new_tokens <= 1024
    assert f"{ANSWER_LIMITED} {context.budget.max_new_tokens} tokens (maxTokens is 400)" in context_markdown(context)
    assert result.texts[0].strip()
    # Every request fitted the server's window as sent: stream() never had to shorten one itself.
    assert not [r for r in caplog.records if "answer limited" in r.getMessage()]
    engine.close()

    # The command line says it too.
    assert main(["expand", "--vault", str(sample_vault), "--remote-url", server, "--n-ctx", "1024",
                 "--max-tokens", "400", "--seed", "7", "--note", DRAFT, "--text", BULLETS]) == 0
    assert f"[{ANSWER_LIMITED} " in capsys.readouterr().err


def ollama_stand_in(sent: list[dict], num_ctx: int | None) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    """Stand-in: Ollama's API (no tokenizer endpoint; `num_ctx` only in /api/show; a longer prompt
    is cut silently, which no real server here can show)."""

    def handle(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path == "/v1/models":
            reply(h, 200, b'{"object": "list", "data": [{"id": "gemma3:270m"}]}')
        elif h.path == "/api/version":
            reply(h, 200, b'{"version": "0.6.8"}')
        elif h.path == "/api/show":
            parameters = f"num_ctx {num_ctx}\nstop \"<end_of_turn>\"" if num_ctx else 'stop "<end_of_turn>"'
            reply(h, 200, json.dumps({"parameters": parameters}).encode())
        elif h.path == "/v1/completions":
            sent.append(json.loads(h.rfile.read(int(h.headers.get("Content-Length") or 0))))
            answer = " The kitchen was cold, so the dough rose slowly."
            body = sse({"choices": [{"text": answer, "finish_reason": "stop"}]})
            h.send_response(200)
            h.send_header("Content-Type", "text/event-stream")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        else:
            reply(h, 404, b"404 page not found", "text/plain")

    return handle


def test_an_ollama_window_smaller_than_nctx_is_planned_for_and_counts_are_called_estimates(sample_vault: Path) -> None:
    from penna.context.viewer import context_markdown

    sent: list[dict] = []
    with stand_in(ollama_stand_in(sent, num_ctx=512)) as url:
        engine = Engine(sample_vault, Settings(remote_url=url, seed=7, n_ctx=4096, max_tokens=64))
        engine.sync()
        remote = engine.model()
        assert isinstance(remote, RemoteModel) and remote.n_ctx == 512 and not remote.exact_count
        context = engine.context(DRAFT, "expand", BULLETS)
        assert context.budget.n_ctx == 512 and not context.exact
        assert any("context window is 512 tokens, less than nCtx (4096)" in note for note in context.notes)
        shown = context_markdown(context)
        assert f"approximate estimates, because the model server at {url} has no tokenizer endpoint" in shown
        assert "not available" not in shown and "of a 512-token window" in shown
        engine.generate("expand", DRAFT, BULLETS)
        assert sent
        for body in sent:  # what the server got fits its window (with the estimate's safety margin)
            assert remote.estimate(body["prompt"]) + 1 + body["max_tokens"] <= 512, body["max_tokens"]
        engine.close()
    with stand_in(ollama_stand_in([], num_ctx=None)) as url:  # no num_ctx in the Modelfile: Ollama's default
        assert RemoteModel.connect(url, n_ctx=4096).n_ctx == remote_module.OLLAMA_DEFAULT_CTX
