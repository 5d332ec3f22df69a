"""One error type for every rule the application enforces.

Models and services raise ``AppError``; the HTTP error handler turns it into
the JSON envelope, the pages into a flashed message and the WebSocket loop
into an error frame, so a rule is written once for all three.
"""


class AppError(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status
        self.msg = msg


def bad_request(msg):
    return AppError(400, msg)


def unauthorized(msg="not logged in"):
    return AppError(401, msg)


def forbidden(msg):
    return AppError(403, msg)


def not_found(msg):
    return AppError(404, msg)


def conflict(msg):
    return AppError(409, msg)
