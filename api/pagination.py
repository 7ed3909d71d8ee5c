from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class SubmissionCursor(CursorPagination):
    """Newest first; a cursor stays right while new submissions arrive at the head."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request) -> int:
        """Refuse a page size that is not a whole number in range, rather than ignore it."""
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        try:
            size = int(values[-1])
        except ValueError:
            size = 0
        if len(values) > 1 or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("must be one whole number from 1 to %(max)d")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return size
