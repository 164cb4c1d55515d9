"""The service-account key the local stack gives both the functions and the local Google Play.

A key of Google's JSON format whose token_uri is the local Google Play's `/token`, so
google-auth's service-account credentials fetch their access token there, as they fetch it from
oauth2.googleapis.com in the cloud. Made once per process that starts a stack.
"""

from __future__ import annotations

import functools
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lib.config import LOCAL_PROJECT

ACCOUNT = f"play-developer-api@{LOCAL_PROJECT}.iam.gserviceaccount.com"


@functools.cache
def service_account_key(api_base: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return json.dumps(
        {
            "type": "service_account",
            "project_id": LOCAL_PROJECT,
            "private_key_id": "local-play-key",
            "private_key": pem.decode(),
            "client_email": ACCOUNT,
            "client_id": "100000000000000000002",
            "token_uri": f"{api_base}/token",
        }
    )
