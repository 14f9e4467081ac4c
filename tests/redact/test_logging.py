"""Redaction in `logging` (filter and record factory), uncaught tracebacks, and structlog."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from secretwarden.redact import RedactingFilter, RedactingProcessor, Redactor, install
from tests.conftest import make_canary


@pytest.fixture
def secret() -> str:
    return make_canary("log")


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(user)s"))
    logger = logging.getLogger(f"test.redact.{id(buf)}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, buf, handler
    logger.removeHandler(handler)


def _fail_with(value: str) -> None:
    token = value  # a local in the frame; tracebacks print source lines, not locals
    raise RuntimeError(f"upstream rejected key {token}")  # warden:allow log-leak the test plants a value on purpose


def test_filter_covers_message_args_extra_exception_and_stack(
    capture: tuple[logging.Logger, io.StringIO, logging.Handler], secret: str
) -> None:
    logger, buf, handler = capture
    handler.addFilter(RedactingFilter(Redactor({"API_KEY": secret})))
    logger.info("calling with " + secret, extra={"user": "x"})
    logger.info("args %s and %r", secret, {"k": secret}, extra={"user": secret})
    try:
        _fail_with(secret)
    except RuntimeError:
        logger.exception("failed", extra={"user": "y"}, stack_info=True)
    text = buf.getvalue()
    assert secret not in text
    assert text.count("[REDACTED:API_KEY]") >= 5
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: upstream rejected key [REDACTED:API_KEY]" in text


def test_exception_chain_is_redacted(capture: tuple[logging.Logger, io.StringIO, logging.Handler], secret: str) -> None:
    logger, buf, handler = capture
    handler.addFilter(RedactingFilter(Redactor({"API_KEY": secret})))
    try:
        try:
            _fail_with(secret)
        except RuntimeError as exc:
            raise ValueError(f"wrapped: {exc}") from exc
    except ValueError:
        logger.error("chain", exc_info=True, extra={"user": "-"})
    text = buf.getvalue()
    assert secret not in text
    assert "direct cause" in text


def test_install_covers_loggers_created_later(secret: str) -> None:
    installed = install(values={"DB_PASSWORD": secret}, excepthook=False, structlog=False)
    try:
        buf = io.StringIO()
        late = logging.getLogger("test.redact.late")
        late.propagate = False
        handler = logging.StreamHandler(buf)
        handler.setFormatter(logging.Formatter("%(message)s user=%(user)s"))
        late.addHandler(handler)
        late.warning("password=%s", secret, extra={"user": secret})
        assert buf.getvalue() == "password=[REDACTED:DB_PASSWORD] user=[REDACTED:DB_PASSWORD]\n"
        late.removeHandler(handler)
    finally:
        installed.uninstall()


def test_structlog_processor(secret: str) -> None:
    structlog = pytest.importorskip("structlog")
    out = io.StringIO()
    structlog.configure(
        processors=[RedactingProcessor(Redactor({"TOKEN": secret})), structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    try:
        log = structlog.get_logger()
        log.info("login " + secret, token=secret, nested={"list": [secret, 3]})
        try:
            _fail_with(secret)
        except RuntimeError:
            log.exception("boom")
    finally:
        structlog.reset_defaults()
    text = out.getvalue()
    assert secret not in text
    assert "[REDACTED:TOKEN]" in text and "upstream rejected key [REDACTED:TOKEN]" in text


def test_uncaught_exception_and_installed_structlog_in_a_real_process(secret: str) -> None:
    script = textwrap.dedent(
        """
        import logging, sys, structlog
        from secretwarden.redact import install
        value = sys.argv[1]
        structlog.configure(processors=[structlog.processors.KeyValueRenderer()],
                            logger_factory=structlog.PrintLoggerFactory(sys.stderr))
        install(values={"WEBHOOK_SECRET": value})
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("app").info("starting with %s", value)
        structlog.get_logger().info("event", secret=value)
        raise KeyError(value)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script, secret], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert secret not in proc.stdout + proc.stderr
    assert "INFO:app:starting with [REDACTED:WEBHOOK_SECRET]" in proc.stderr
    assert "secret='[REDACTED:WEBHOOK_SECRET]'" in proc.stderr
    assert "KeyError: '[REDACTED:WEBHOOK_SECRET]'" in proc.stderr


def test_install_with_streams_redacts_print_and_flushes_at_exit(secret: str) -> None:
    script = textwrap.dedent(
        """
        import sys
        from secretwarden.redact import install
        value = sys.argv[1]
        install(values={"API_KEY": value}, streams=True)
        print("key:", value, "ünïcode")
        print("to stderr", value, file=sys.stderr)
        sys.stdout.write("last words " + value[:6])  # no newline: held until exit, then released
        """
    )
    proc = subprocess.run([sys.executable, "-c", script, secret], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"key: [REDACTED:API_KEY] ünïcode\nlast words {secret[:6]}"
    assert proc.stderr == "to stderr [REDACTED:API_KEY]\n"
