import io
import json
import logging

from lib import log


def _capture() -> tuple[logging.Logger, io.StringIO]:
    logger = log.get_logger("test")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.getLogger("wellness").handlers[0].formatter)
    logger.addHandler(handler)
    return logger, stream


def test_a_line_is_cloud_logging_json_with_the_request_context() -> None:
    logger, stream = _capture()
    with log.log_context(**{log.TRACE_KEY: "projects/p/traces/abc"}, route="/v1/me"):
        log.bind(uid="u1")
        logger.info("done", extra={"fields": {"outcome": "ok", "latency_ms": 3.5}})
    entry = json.loads(stream.getvalue())
    assert entry["severity"] == "INFO"
    assert entry["message"] == "done"
    assert entry[log.TRACE_KEY] == "projects/p/traces/abc"
    assert (entry["uid"], entry["route"], entry["outcome"], entry["latency_ms"]) == ("u1", "/v1/me", "ok", 3.5)


def test_secret_fields_are_never_written() -> None:
    logger, stream = _capture()
    logger.info("x", extra={"fields": {"token": "t0k3n", "Authorization": "Bearer x", "api_key": "sk", "uid": "u"}})
    line = stream.getvalue()
    assert "t0k3n" not in line
    assert "Bearer x" not in line
    assert "sk" not in json.loads(line).values()


def test_context_does_not_leak_out_of_its_block() -> None:
    logger, stream = _capture()
    with log.log_context(route="/inside"):
        pass
    logger.info("after")
    assert "route" not in json.loads(stream.getvalue())


def test_trace_header_becomes_the_cloud_logging_trace() -> None:
    assert log.trace_from_header("105445aa7843bc8bf206b12000100000/1;o=1") == (
        "projects/demo-wellness/traces/105445aa7843bc8bf206b12000100000"
    )
    assert log.trace_from_header(None) is None
    assert log.trace_from_header("/1") is None
