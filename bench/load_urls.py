"""The product's URLs plus the baseline view of bench/load_completion.py."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

# Created by bench/load_completion.py in the benchmark's own database.
BASELINE_TABLE = "bench_load_row"


@csrf_exempt
@require_POST
def insert_row(request: HttpRequest) -> HttpResponse:
    """Insert one row and answer: the least a Django view that writes can do."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BASELINE_TABLE} (created) VALUES (now())")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/insert/", insert_row),
    path("", include("fieldwork.urls")),
]
