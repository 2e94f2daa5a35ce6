"""The one rule for paginating a bill's itemised list (清单).

The platform's list-page-count method (``getElectBilllListTotal``, seed 000 item 11) and the
printed list pages of print_templates must agree, so both call this module. A bill without
list lines has no list: asking for its page count is an error, not zero pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from billing_core.errors import BillingError

T = TypeVar("T")

#: List lines printed on one A4 list page (portrait, 5 mm rows under a header block).
LINES_PER_PAGE = 25


class NoListError(BillingError):
    """The bill has no itemised list, so it has no list pages."""

    code = "E3040"
    default_message = "该电子票据不含清单"


def list_page_count(line_count: int, lines_per_page: int = LINES_PER_PAGE) -> int:
    """Number of list pages for ``line_count`` list lines; raises NoListError for zero lines."""
    if line_count <= 0:
        raise NoListError()
    return -(-line_count // lines_per_page)


def list_pages(lines: Sequence[T], lines_per_page: int = LINES_PER_PAGE) -> list[Sequence[T]]:
    """Split list lines into pages by the same rule as :func:`list_page_count`."""
    count = list_page_count(len(lines), lines_per_page)
    return [lines[i * lines_per_page : (i + 1) * lines_per_page] for i in range(count)]
