"""Checks, before a command starts, that the local pieces it needs are listening, so an
unreachable stack is one line at once rather than a client retrying for a minute."""

from __future__ import annotations

import enum
import socket
from urllib.parse import urlsplit

from lib.config import Settings
from ops.failures import Unreachable


class Piece(enum.Enum):
    FIRESTORE = "Firestore emulator"
    AUTH = "Auth emulator"
    TASKS = "Cloud Tasks emulator"
    STRIPE = "local Stripe"


def address_of(piece: Piece, config: Settings) -> tuple[str, int]:
    if piece is Piece.STRIPE:
        url = urlsplit(config.stripe_api_base)
        return url.hostname or "127.0.0.1", url.port or 443
    host = {
        Piece.FIRESTORE: config.firestore_emulator_host,
        Piece.AUTH: config.firebase_auth_emulator_host,
        Piece.TASKS: config.cloud_tasks_emulator_host,
    }[piece]
    name, _, port = host.rpartition(":")
    return name or "127.0.0.1", int(port)


def require(config: Settings, *pieces: Piece) -> None:
    """Raises Unreachable naming the first local piece that does not accept a connection.
    Against a real project nothing is probed: the clients report their own failures."""
    if not config.is_local:
        return
    for piece in pieces:
        host, port = address_of(piece, config)
        try:
            with socket.create_connection((host, port), timeout=1):
                pass
        except OSError:
            raise Unreachable(
                f"the {piece.value} at {host}:{port} is not answering; start the stack with `make run`"
            ) from None
