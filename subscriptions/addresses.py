"""Email addresses: one spelling per mailbox, nothing that could break a mail header, and
the keyed hash that stands for an address whose owner had their data erased."""

import re

from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac

ERASED_SALT = "paperboy.subscriptions.erased-address"


def email_normalize(email: str) -> str:
    """One spelling per mailbox, so the same reader cannot subscribe twice."""
    return email.strip().lower()


# Unicode's control characters (category Cc): C0, DEL and C1.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def validate_address_characters(value: str) -> None:
    """Refuse control characters (a quoted local part may hold them): in a To: header they
    would become line breaks."""
    if CONTROL.search(value):
        raise ValidationError("An email address cannot contain control characters.")


def address_hash(email: str) -> str:
    """A keyed hash of the address (HMAC-SHA256 under SECRET_KEY): who cannot be imported
    again, without keeping the address itself."""
    return salted_hmac(ERASED_SALT, email_normalize(email), algorithm="sha256").hexdigest()


def address_hashes(emails: list[str]) -> list[str]:
    """address_hash of each address, the key derived once (an import's batch)."""
    keyed = salted_hmac(ERASED_SALT, "", algorithm="sha256")
    hashes = []
    for email in emails:
        hashed = keyed.copy()
        hashed.update(email_normalize(email).encode())
        hashes.append(hashed.hexdigest())
    return hashes
