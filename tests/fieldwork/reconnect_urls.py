"""Views for tests/fieldwork/test_reconnect.py: each reads or writes in one known way."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.http import JsonResponse
from django.urls import path


def read(request):
    return JsonResponse({"groups": Group.objects.count()})


def write_in_a_transaction(request):
    with transaction.atomic():
        Group.objects.create(name=request.POST["name"])
    return JsonResponse({"groups": Group.objects.count()})


def write_then_read(request):
    Group.objects.create(name=request.POST["name"])  # autocommit: stored at once
    return JsonResponse({"groups": Group.objects.count()})


urlpatterns = [
    path("read/", read),
    path("write-in-a-transaction/", write_in_a_transaction),
    path("write-then-read/", write_then_read),
]
