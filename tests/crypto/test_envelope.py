"""The envelope's AES-GCM is cryptography's public class, reached without its cipher package."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from secretwarden.crypto import envelope
from secretwarden.errors import IntegrityError


def test_aesgcm_is_the_public_class() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    assert envelope.AESGCM is AESGCM


def test_envelope_does_not_load_the_cipher_package() -> None:
    code = "import sys, secretwarden.crypto.envelope; print('cryptography.hazmat.primitives.ciphers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_seal_and_open_round_trip_and_bound_to_aad() -> None:
    key = envelope.new_key()
    plaintext = os.urandom(24)
    nonce, ct = envelope.seal(key, plaintext, envelope.aad("store", "dev", 1))
    assert envelope.open_sealed(key, nonce, ct, envelope.aad("store", "dev", 1), what="slot") == plaintext
    with pytest.raises(IntegrityError, match="slot: authentication failed"):
        envelope.open_sealed(key, nonce, ct, envelope.aad("store", "dev", 2), what="slot")
