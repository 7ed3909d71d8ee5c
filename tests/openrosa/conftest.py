"""Interviewers, their tablets' requests, and ODK's own form engine as the client."""

import base64
import json
import shutil
import subprocess
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.test import Client

from reports.access import INTERVIEWERS
from reports.models import Assignment
from surveys.models import Survey
from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "node_modules" / "@getodk" / "xforms-engine"
FILL = Path(__file__).resolve().parent / "odk_fill.mjs"
PASSWORD = "tablet-password-7"


def interviewer(name: str, *surveys: Survey, role: str = INTERVIEWERS) -> User:
    user = User.objects.create_user(name, password=PASSWORD)
    user.groups.add(Group.objects.get(name=role))
    for survey in surveys:
        Assignment.objects.create(user=user, survey=survey)
    return user


class Tablet(Client):
    """A client that talks HTTPS (unless `https` is off), as ODK Collect in production."""

    https = True

    def generic(self, method, path, *args, secure=False, **kwargs):
        return super().generic(method, path, *args, secure=secure or self.https, **kwargs)


def tablet(user: User | None, password: str = PASSWORD, https: bool = True) -> Tablet:
    """A tablet that sends the user's Basic credentials, as ODK Collect does."""
    headers = {"HTTP_X_OPENROSA_VERSION": "1.0"}
    if user is not None:
        token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
        headers["HTTP_AUTHORIZATION"] = f"Basic {token}"
    client = Tablet(**headers)
    client.https = https
    return client


def send(client: Client, xml: str, name: str = "instance.xml"):
    """POST an instance as ODK Collect does: multipart, the XML as xml_submission_file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, xml.encode("utf-8"), content_type="text/xml")
    return client.post("/openrosa/submission", {"xml_submission_file": upload})


def odk_fill(xform: str, interviews: list[dict], language: str | None = None) -> list[dict]:
    """Fill the XForm once per interview with @getodk/xforms-engine (Node); see odk_fill.mjs."""
    if shutil.which("node") is None:
        need_service("node", "not installed (apt-get install nodejs npm)")
    if not ENGINE.exists():
        need_service("@getodk/xforms-engine", "not installed: run `make node_modules/.installed`")
    done = subprocess.run(
        ["node", str(FILL)],
        input=json.dumps({"xform": xform, "language": language, "interviews": interviews}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def instance_xml(xform: str, answers: dict, instance_id: str, **meta: str) -> str:
    """Fill the XForm's own instance template by hand (for protocol tests; the ODK engine
    is the client of tests/openrosa/test_odk_engine.py)."""
    import xml.etree.ElementTree as ET

    ns = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml"}
    document = ET.fromstring(xform)
    data = document.find("h:head/x:model/x:instance/x:data", ns)
    # A repeat's template is the form's, never sent: a client sends the entries only.
    template = "{http://openrosa.org/javarosa}template"
    for parent in list(data.iter()):
        for child in list(parent):
            if template in child.attrib:
                parent.remove(child)
    for element in data.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name in answers:
            value = answers[name]
            element.text = " ".join(value) if isinstance(value, list) else str(value)
        elif name == "instanceID":
            element.text = instance_id
        elif name in meta:
            element.text = meta[name]
    for element in data.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    return ET.tostring(data, encoding="unicode")
