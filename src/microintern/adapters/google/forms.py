"""Google Forms: read responses, answers keyed by question title.

REST reference: https://developers.google.com/forms/api/reference/rest/v1/forms.responses/list
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from microintern.adapters.google.transport import Retry, execute
from microintern.domain.records import FormResponse


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _answer_text(answer: dict[str, Any]) -> str:
    texts = answer.get("textAnswers", {}).get("answers", [])
    # Checkbox answers are joined the way a linked responses sheet shows them.
    return ", ".join(str(t.get("value", "")) for t in texts)


class GoogleFormSource:
    """The :class:`~microintern.ports.FormSource` port on the Forms API."""

    def __init__(self, service: Any, *, retry: Retry | None = None) -> None:
        self._forms = service.forms()
        self._retry = retry or Retry()
        self._titles: dict[str, dict[str, str]] = {}

    def _question_titles(self, form_id: str) -> dict[str, str]:
        if form_id not in self._titles:
            form = execute(self._forms.get(formId=form_id), "forms.get", retry=self._retry)
            titles: dict[str, str] = {}
            for item in form.get("items", []):
                question = item.get("questionItem", {}).get("question")
                if question:
                    titles[question["questionId"]] = item.get("title", question["questionId"])
            self._titles[form_id] = titles
        return self._titles[form_id]

    def fetch_responses(self, form_id: str, since: datetime | None = None) -> list[FormResponse]:
        """All responses (or those since ``since``), following every page, oldest first."""
        titles = self._question_titles(form_id)
        kwargs: dict[str, Any] = {"formId": form_id, "pageSize": 5000}
        if since is not None:
            stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            kwargs["filter"] = f"timestamp >= {stamp}"
        responses: list[FormResponse] = []
        while True:
            page = execute(self._forms.responses().list(**kwargs), "forms.responses.list",
                           retry=self._retry)
            for raw in page.get("responses", []):
                answers = {
                    titles.get(qid, qid): _answer_text(answer)
                    for qid, answer in raw.get("answers", {}).items()
                }
                submitted = raw.get("lastSubmittedTime") or raw["createTime"]
                responses.append(FormResponse(
                    response_id=raw["responseId"],
                    submitted_at=_parse_time(submitted),
                    answers=answers,
                    respondent_email=raw.get("respondentEmail"),
                ))
            token = page.get("nextPageToken")
            if not token:
                break
            kwargs["pageToken"] = token
        responses.sort(key=lambda r: (r.submitted_at, r.response_id))
        return responses
