"""TLS: the endpoint served over wss:// with a throwaway self-signed certificate, and the client
verifying it (Neptune requires TLS; the client's default is wss://)."""

from __future__ import annotations

import datetime as dt
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

from framework.client import GraphClient
from framework.config import GraphConfig
from framework.errors import ConnectionLost
from gwlocal.gremlin_server.server import GremlinEndpoint

g = traversal().with_graph(Graph())


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_client_talks_wss_and_verifies_the_certificate(tmp_path):
    cert, key = self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    endpoint = GremlinEndpoint()
    port = await endpoint.start("127.0.0.1", 0, ssl_context=server_ctx)
    try:
        config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": f"localhost:{port}"}, max_attempts=1)
        assert config.writer_url.startswith("wss://")
        trusting = ssl.create_default_context(cafile=str(cert))
        client = GraphClient(config, ssl_context=trusting)
        try:
            assert await client.submit(g.V().count(), expect=1) == [0]
        finally:
            await client.close()
        # Without trusting the certificate the handshake fails, classified as a TLS connection failure.
        untrusting = GraphClient(config)
        try:
            try:
                await untrusting.submit(g.V().count())
            except ConnectionLost as exc:
                assert exc.cause == "tls" and "certificate" in str(exc).lower()
            else:
                raise AssertionError("an untrusted certificate was accepted")
        finally:
            await untrusting.close()
    finally:
        await endpoint.stop()
