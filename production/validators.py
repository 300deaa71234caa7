"""Shapes of identifiers, shared by the model, the admin, the API and every import."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# As the OpenAPI schema states it (`$`); the validator anchors at the very end (`\Z`), so a
# trailing newline does not pass.
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SKU_MAX_LENGTH = 64

validate_sku = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z",
    message=_(
        "A SKU starts with a letter or digit and holds only letters, digits, dot, dash and "
        "underscore."
    ),
    code="invalid_sku",
)
