# The API's persona clients and category, shared with tests/api.
from ..api.conftest import client_for, fresh_throttles, water  # noqa: F401
