import re

from django.test import Client

from respondents.models import Respondent, Submission
from respondents.panel import PanelMember
from respondents.services import panel_invite
from surveys.models import Question
from surveys.questionnaire import questionnaire_of


def invite(survey, panel_id="p1", language="", **known) -> Respondent:
    respondents, _ = panel_invite(survey, [PanelMember(panel_id, language, known)])
    return respondents[0]


def default_answer(question: Question):
    """A plausible valid answer: the first choice, a mid-range number, some text."""
    if question.type in (Question.Type.SINGLE, Question.Type.GRID):
        return question.choices[0].value
    if question.type == Question.Type.MULTIPLE:
        return [question.choices[0].value]
    if question.type == Question.Type.INTEGER:
        return 35
    if question.type == Question.Type.DECIMAL:
        return "1.5"
    if question.type == Question.Type.DATE:
        return "2024-06-12"
    return "Хорошая зарплата"


class Respondent_:
    """Drive one respondent through the questionnaire with Django's test client."""

    def __init__(self, respondent: Respondent, client: Client | None = None) -> None:
        self.respondent = respondent
        self.client = client or Client()
        self.token = respondent.token

    def start(self, language: str):
        return self.client.post(f"/s/{self.token}/", {"language": language}, follow=True)

    @property
    def submission(self) -> Submission:
        return Submission.objects.get(respondent=self.respondent)

    def current_page(self, response) -> str | None:
        if not response.redirect_chain:
            return None
        url = response.redirect_chain[-1][0]
        match = re.search(rf"/s/{re.escape(self.token)}/p/([^/]+)/", url)
        return match.group(1) if match else None

    def page_data(self, page_name: str, answers: dict) -> dict:
        questionnaire = questionnaire_of(self.respondent.survey)
        page = questionnaire.page(page_name)
        data: dict = {"next": "1"}
        for question in page.questions:
            for name in question.answer_names:
                if name in answers:
                    value = answers[name]
                elif name in self.respondent.known:
                    value = self.respondent.known[name]
                else:
                    value = default_answer(question)
                if value is not None:
                    data[name] = value
        return data

    def answer(self, page_name: str, **answers):
        return self.client.post(
            f"/s/{self.token}/p/{page_name}/", self.page_data(page_name, answers), follow=True
        )

    def finish(self, language: str, **answers):
        """Start and answer every page with `answers` (defaults elsewhere); return the end."""
        response = self.start(language)
        for _ in range(30):
            page = self.current_page(response)
            if page is None:
                return response
            response = self.answer(page, **answers)
        raise AssertionError("the questionnaire did not end")
