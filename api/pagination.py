from rest_framework.pagination import CursorPagination


class SubmissionCursor(CursorPagination):
    """Newest first; a cursor stays right while new submissions arrive at the head."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
