"""Every API error is JSON saying what went wrong and, for a bad parameter, which one."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from webhooks.api.blueprint import blueprint


class ApiProblem(Exception):
    def __init__(self, status: int, code: str, message: str, parameter: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.parameter, self.headers = parameter, dict(headers or {})


def problem_response(status: int, code: str, message: str, parameter: str | None = None,
                     headers: Mapping[str, str] | None = None) -> Response:
    body: dict[str, str] = {"error": code, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    response = jsonify(body)
    response.status_code = status
    response.headers.update(dict(headers or {}))
    return response


@blueprint.errorhandler(ApiProblem)
def api_problem(problem: ApiProblem) -> Response:
    return problem_response(problem.status, problem.code, problem.message, problem.parameter,
                            problem.headers)


@blueprint.errorhandler(429)
def too_many(_error: HTTPException) -> Response:
    return problem_response(429, "rate-limited", "Too many requests with this token. Wait a minute "
                                 "and try again, or ask for fewer, larger pages (per_page=200).")


@blueprint.errorhandler(500)
def server_error(_error: HTTPException) -> Response:
    return problem_response(500, "server-error", "Something went wrong on our side. Try again "
                                 "later; if it keeps happening, tell the engagement team.")


@blueprint.app_errorhandler(405)
def method_not_allowed(error: HTTPException) -> Response | HTTPException:
    """Routing errors happen before a blueprint is chosen, so this one is app-wide: JSON for the
    API's addresses, the usual page for everything else."""
    if not request.path.startswith(blueprint.url_prefix or "/api/"):
        return error
    allowed = ", ".join(getattr(error, "valid_methods", None) or ["GET"])
    return problem_response(405, "method-not-allowed", f"The API is read-only: use {allowed}.",
                            headers={"Allow": allowed})


@blueprint.get("/<path:_address>")
def unknown_address(_address: str) -> Response:
    """Any other address under the API is a JSON 404 too (an unmatched URL is routed before a
    blueprint is chosen, so a blueprint's 404 handler would never see it)."""
    return problem_response(404, "not-found", "There is no such API address: the feedback is at "
                                 f"{blueprint.url_prefix}/feedback.")
