"""Error answers: always JSON ``{"error": code, "detail": ...}``, whatever raised them."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from services.api.cursor import InvalidCursor

# Codes for errors raised by the framework itself (unknown route, wrong method, ...).
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_request",
}


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, detail: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


def _answer(
    status: int, code: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": code, "detail": jsonable_encoder(detail)}
    return JSONResponse(body, status_code=status, headers=headers)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _answer(exc.status, exc.code, exc.detail, exc.headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = CODES.get(exc.status_code, HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_"))
    return _answer(exc.status_code, code, exc.detail, exc.headers)


async def _invalid_request(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _answer(422, "invalid_request", exc.errors())


async def _invalid_cursor(_: Request, exc: Exception) -> JSONResponse:
    return _answer(400, "invalid_cursor", str(exc))


async def _internal(_: Request, exc: Exception) -> JSONResponse:
    # No logging here: the server logs the traceback when the error propagates past this answer.
    return _answer(500, "internal", None)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(InvalidCursor, _invalid_cursor)
    app.add_exception_handler(Exception, _internal)
