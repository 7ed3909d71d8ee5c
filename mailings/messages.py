"""What a member receives: a survey's templates per language, filled in for one member.

A template's subject and body hold placeholders in braces: {link} (the member's own
link), {name} (their name, or a polite word for someone unnamed), {title} (the survey's
title in their language), {end_date} (the fieldwork's last day) and {opt_out} (the
one-click opt-out link). They are replaced by plain text substitution: nothing in a
template can reach an attribute or run code, as `str.format` would let `{link.__class__}`.
Every message must carry {link} and {opt_out}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from mailings.models import Kind, MessageTemplate
from respondents.models import Respondent
from surveys.models import Survey

PLACEHOLDERS = ("link", "name", "title", "end_date", "opt_out")
REQUIRED = ("link", "opt_out")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
OPT_OUT_SALT = "mailings.opt-out"

# The defaults, written for each of the demo's languages (not machine translated).
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        Kind.INVITATION: (
            "Invitation: {title}",
            "Dear {name},\n\n"
            "You are invited to take part in the survey \u201c{title}\u201d. Your answers are "
            "confidential and count only together with everyone else's.\n\n"
            "Your personal link:\n{link}\n\n"
            "The survey is open until {end_date} inclusive. Thank you for your time!\n\n"
            "If you do not want any more messages about this survey:\n{opt_out}\n",
        ),
        Kind.REMINDER: (
            "Reminder: {title}",
            "Dear {name},\n\n"
            "A few days ago we invited you to the survey \u201c{title}\u201d. If you have not "
            "found the time yet, your personal link still works, and it resumes where you "
            "stopped:\n{link}\n\n"
            "The last day of the survey is {end_date}. Thank you!\n\n"
            "If you do not want any more messages about this survey:\n{opt_out}\n",
        ),
    },
    "ru": {
        Kind.INVITATION: (
            "Приглашение: {title}",
            "Здравствуйте, {name}!\n\n"
            "Приглашаем вас принять участие в опросе \u00ab{title}\u00bb. Ваши ответы "
            "конфиденциальны и учитываются только вместе с ответами других участников.\n\n"
            "Ваша личная ссылка:\n{link}\n\n"
            "Опрос открыт до {end_date} включительно. Спасибо, что уделили нам время!\n\n"
            "Если вы не хотите больше получать письма об этом опросе:\n{opt_out}\n",
        ),
        Kind.REMINDER: (
            "Напоминание: {title}",
            "Здравствуйте, {name}!\n\n"
            "Несколько дней назад мы пригласили вас принять участие в опросе \u00ab{title}\u00bb. "
            "Если вы ещё не успели, ваша личная ссылка по-прежнему действует и откроет опрос "
            "с того места, где вы остановились:\n{link}\n\n"
            "Опрос открыт до {end_date} включительно. Спасибо!\n\n"
            "Если вы не хотите больше получать письма об этом опросе:\n{opt_out}\n",
        ),
    },
    "kk": {
        Kind.INVITATION: (
            "Шақыру: {title}",
            "Құрметті {name}!\n\n"
            "Сізді \u00ab{title}\u00bb сауалнамасына қатысуға шақырамыз. Сіздің жауаптарыңыз "
            "құпия сақталады және тек басқа қатысушылардың жауаптарымен бірге есептеледі.\n\n"
            "Сіздің жеке сілтемеңіз:\n{link}\n\n"
            "Сауалнама {end_date} дейін (қоса алғанда) ашық. Уақыт бөлгеніңізге рахмет!\n\n"
            "Бұл сауалнама туралы бұдан былай хат алғыңыз келмесе:\n{opt_out}\n",
        ),
        Kind.REMINDER: (
            "Еске салу: {title}",
            "Құрметті {name}!\n\n"
            "Бірнеше күн бұрын біз сізді \u00ab{title}\u00bb сауалнамасына шақырдық. Егер әлі "
            "үлгермеген болсаңыз, жеке сілтемеңіз әлі де жұмыс істейді және сауалнаманы "
            "тоқтаған жеріңізден ашады:\n{link}\n\n"
            "Сауалнама {end_date} дейін (қоса алғанда) ашық. Рахмет!\n\n"
            "Бұл сауалнама туралы бұдан былай хат алғыңыз келмесе:\n{opt_out}\n",
        ),
    },
    "zh-hans": {
        Kind.INVITATION: (
            "调查邀请：{title}",
            "{name}，您好！\n\n"
            "诚邀您参加\u201c{title}\u201d问卷调查。您的回答将严格保密，仅与其他参与者的回答"
            "一起进行汇总统计。\n\n"
            "您的专属链接：\n{link}\n\n"
            "调查开放至{end_date}（含当天）。感谢您抽出宝贵时间！\n\n"
            "如果您不希望再收到关于本调查的邮件，请点击：\n{opt_out}\n",
        ),
        Kind.REMINDER: (
            "调查提醒：{title}",
            "{name}，您好！\n\n"
            "几天前我们邀请您参加\u201c{title}\u201d问卷调查。如果您还没有来得及完成，您的"
            "专属链接仍然有效，并会从您上次停下的地方继续：\n{link}\n\n"
            "调查开放至{end_date}（含当天）。谢谢！\n\n"
            "如果您不希望再收到关于本调查的邮件，请点击：\n{opt_out}\n",
        ),
    },
}
# {end_date} as each language writes it in a sentence where Django's format does not
# fit: Django has no Kazakh date format ("Жел. 15, 2026" is its English order).
DATE_FORMATS = {"kk": "d.m.Y ж."}
# How {name} reads for a member the panel file gave no name.
UNNAMED = {"en": "participant", "ru": "участник опроса", "kk": "қатысушы", "zh-hans": "参与者"}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    language: str


def default_language_key(language: str) -> str:
    """Return the defaults' language for a survey language code (zh -> zh-hans, else en)."""
    code = language.lower()
    if code in DEFAULTS:
        return code
    base = code.split("-")[0]
    if base == "zh":
        return "zh-hans"
    return base if base in DEFAULTS else "en"


def template_text(survey: Survey, kind: str, language: str) -> tuple[str, str, bool]:
    """Return (subject, body, is_default) of the survey's `kind` message in `language`."""
    template = MessageTemplate.objects.filter(survey=survey, kind=kind, language=language).first()
    if template is not None:
        return template.subject, template.body, False
    subject, body = DEFAULTS[default_language_key(language)][kind]
    return subject, body, True


def placeholder_errors(subject: str, body: str) -> list[str]:
    """Return why the texts cannot be a message (an unknown or missing placeholder)."""
    errors = []
    for text in (subject, body):
        for name in PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                errors.append(
                    _("{%(name)s} is not a placeholder; the placeholders are %(all)s")
                    % {"name": name, "all": ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)}
                )
    used = set(PLACEHOLDER.findall(subject)) | set(PLACEHOLDER.findall(body))
    for name in REQUIRED:
        if name not in used:
            errors.append(_("the message must contain {%(name)s}") % {"name": name})
    return list(dict.fromkeys(errors))


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each known {placeholder} in `text`; leave anything else as written."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def member_language(survey: Survey, respondent: Respondent) -> str:
    language = respondent.preferred_language
    return language if language in survey.languages else survey.default_language


def opt_out_token(respondent: Respondent) -> str:
    return signing.Signer(salt=OPT_OUT_SALT).sign(str(respondent.pk))


def respondent_of_opt_out(token: str) -> int | None:
    """Return the respondent id an opt-out token was signed for, or None if forged."""
    try:
        return int(signing.Signer(salt=OPT_OUT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def opt_out_url(respondent: Respondent) -> str:
    return site_url(reverse("mailings:opt_out", args=[opt_out_token(respondent)]))


def render(
    survey: Survey,
    kind: str,
    language: str,
    *,
    name: str,
    link: str,
    opt_out: str,
    subject: str | None = None,
    body: str | None = None,
) -> Message:
    """Return the survey's `kind` message in `language` filled in for one member.

    `subject` and `body` replace the stored template (a preview of an edit).
    """
    if subject is None or body is None:
        subject, body, _default = template_text(survey, kind, language)
    with translation.override(interface_language(language)):
        pattern = DATE_FORMATS.get(default_language_key(language), "DATE_FORMAT")
        end = date_format(survey.fieldwork_end, pattern) if survey.fieldwork_end else ""
    values = {
        "link": link,
        "name": name or UNNAMED[default_language_key(language)],
        "title": survey.text(survey.title, language) or survey.slug,
        "end_date": end,
        "opt_out": opt_out,
    }
    # A header holds one line: a name or title with a line break in it must not add one.
    one_line = " ".join(fill(subject, values).split())
    return Message(one_line, fill(body, values), language)


def interface_language(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    key = default_language_key(language)
    return language if language in codes else key
