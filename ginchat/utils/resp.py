"""The answer envelope every JSON route uses (the Go project's utils/resp.go)."""

from flask import jsonify


def envelope(code, msg, data=None, rows=None, total=None):
    return {"Code": code, "Msg": msg, "Data": data, "Rows": rows, "Total": total}


def ok(data=None, msg="ok", status=200):
    return jsonify(envelope(0, msg, data=data)), status


def ok_list(rows, total, msg="ok"):
    return jsonify(envelope(0, msg, rows=rows, total=total)), 200


def fail(status, msg):
    return jsonify(envelope(-1, msg)), status
