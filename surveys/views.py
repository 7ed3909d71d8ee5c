from django.shortcuts import render

from surveys.models import Survey


def home(request):
    """Show the project's front page; staff also see the surveys."""
    surveys = Survey.objects.all() if request.user.is_staff else Survey.objects.none()
    return render(request, "home.html", {"surveys": surveys})
