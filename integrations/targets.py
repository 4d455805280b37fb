"""Where a webhook may be sent: never into the network the server stands in.

A target whose host resolves to a loopback, private, shared, link-local, multicast, reserved
or cloud-metadata address is refused: when the subscription is saved (the model field's
validator, so the admin and any form show the error) and again at every send, on the address
actually connected to, since a name may resolve elsewhere by then. The connection goes to
the address that was checked, never to a second lookup of the name. Redirects are not
followed: a 3xx answer is a failed delivery, so no answer can steer a request inside.
SANBUFU_WEBHOOK_ALLOW_LOOPBACK lets loopback through (development, tests); nothing lets the
other ranges through.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Instance metadata services: AWS/GCP/Azure/OpenStack, AWS over IPv6, AWS ECS task metadata,
# Alibaba Cloud and Tencent Cloud. Most are link-local or shared addresses, refused anyway;
# they are named so the error says what was aimed at.
METADATA_ADDRESSES = {
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "fd00:ec2::254",
        "169.254.170.2",
        "100.100.100.200",
        "169.254.0.23",
    )
}


class RefusedTarget(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    """Raise RefusedTarget unless `address` is a public one (or an allowed loopback)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        raise RefusedTarget(
            _("%(address)s is a cloud metadata address; webhooks are never sent there.")
            % {"address": address}
        )
    if address.is_loopback:
        if settings.SANBUFU_WEBHOOK_ALLOW_LOOPBACK:
            return
        raise RefusedTarget(
            _("%(address)s is a loopback address; webhooks are not sent to this server.")
            % {"address": address}
        )
    if not address.is_global or address.is_multicast:
        raise RefusedTarget(
            _(
                "%(address)s is a private, link-local or reserved address; webhooks go only "
                "to public addresses."
            )
            % {"address": address}
        )


def resolve(url: str) -> tuple[str, str, int, list[str]]:
    """Scheme, host, port and the checked addresses of `url`; RefusedTarget otherwise.

    Every address the name resolves to must pass: one private address among public ones
    would let a later connection land inside."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget(_("The target must be an http or https URL with a host."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedTarget(_("The target's port is not a number.")) from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RefusedTarget(
            _("The host %(host)s cannot be resolved.") % {"host": parts.hostname}
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        check_address(ipaddress.ip_address(address.split("%")[0]))
    return parts.scheme, parts.hostname, port, addresses


def validate_target_url(value: str) -> None:
    """The model field's validator: a target that resolves inside is a form error."""
    try:
        resolve(value)
    except RefusedTarget as exc:
        raise ValidationError(exc.message, code="refused_target") from None


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """POST `body` to `url` once, connecting only to an address `resolve` accepted.

    Returns the status code (None when no answer came) and an error text ("" for a 2xx).
    Raises RefusedTarget when the target resolves inside."""
    scheme, host, port, addresses = resolve(url)
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = cls(host, port, timeout=timeout)
    # Connect to the checked address; TLS still verifies the certificate against `host`.
    conn._create_connection = lambda _addr, timeout, source: socket.create_connection(
        (addresses[0], port), timeout, source
    )
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        code = response.status
        location = response.getheader("Location", "")
        response.read(65536)
    except (OSError, http.client.HTTPException) as exc:
        return None, str(exc)[:1000] or exc.__class__.__name__
    finally:
        conn.close()
    if 200 <= code < 300:
        return code, ""
    if 300 <= code < 400:
        return code, (
            _("HTTP %(code)s: redirect to %(location)s not followed")
            % {
                "code": code,
                "location": location,
            }
        )[:1000]
    return code, f"HTTP {code}"
