#!/usr/bin/env python3
"""A Matrix homeserver for tests: only what Vigie uses, but that exactly as the
client-server API specifies it (https://spec.matrix.org/v1.10/client-server-api/).

  PUT  /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}
       Authentication: "Authorization: Bearer TOKEN" (or the deprecated
       ?access_token=). 401 M_MISSING_TOKEN / M_UNKNOWN_TOKEN, 403 M_FORBIDDEN
       when the user is not in the room, 400 M_NOT_JSON for a body that is not
       a JSON object. Transaction identifiers ("Transaction identifiers": scoped
       to the access token and the request path): a repeated (access token,
       room, event type, txnId) returns the first event_id and stores nothing.
  POST /_matrix/client/v3/createRoom   (is_direct, invite, preset): {"room_id": ...}

Fault injection for the tests, consumed one per send request, in order:
  POST /_test/faults {"faults": ["429", "500", "drop", "drop_before"]}
     429          M_LIMIT_EXCEEDED with a Retry-After header and retry_after_ms
     500          M_UNKNOWN
     drop         store the event, then close the connection without answering
                  (the client cannot know it was delivered)
     drop_before  close the connection without storing anything
     stall        store the event, then answer nothing until the client gives
                  up (its timeout) and closes the connection
  GET  /_test/faults                  the faults no request has met yet: {"faults": [...]}
  GET  /_test/rooms/{roomId}/events   every stored event of a room, in order
  GET  /_test/rooms                   every room: id, is_direct, invite, creator

Prints "listening on http://127.0.0.1:PORT" on stderr once ready.
Python 3 standard library only.
"""
import argparse
import json
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {
    "tokens": {},       # access token -> user id
    "rooms": {},        # room id -> {"members": set, "events": [], "is_direct": bool, "invite": [], "creator": str}
    "txns": {},         # (token, room, event type, txnId) -> event id
    "faults": [],
    "next_event": 1,
    "next_room": 1,
    "retry_after_ms": 2000,
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # stderr stays for the readiness line and errors
        pass

    def reply(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, errcode, message, headers=None, extra=None):
        obj = {"errcode": errcode, "error": message}
        obj.update(extra or {})
        self.reply(status, obj, headers)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def token(self, query):
        auth = self.headers.get("Authorization")
        if auth is not None:
            if not auth.startswith("Bearer "):
                return None
            return auth[len("Bearer "):].strip()
        values = query.get("access_token")
        return values[0] if values else None

    def authenticate(self, query):
        """The user id, or None after answering 401 (spec: "Client Authentication")."""
        token = self.token(query)
        if token is None:
            self.error(401, "M_MISSING_TOKEN", "Missing access token")
            return None, None
        user = STATE["tokens"].get(token)
        if user is None:
            self.error(401, "M_UNKNOWN_TOKEN", "Unrecognised access token")
            return None, None
        return token, user

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        with LOCK:
            if parts == ["_test", "faults"]:
                return self.reply(200, {"faults": STATE["faults"]})
            if parts[:2] == ["_test", "rooms"] and len(parts) == 2:
                rooms = [{"room_id": rid, "is_direct": r["is_direct"], "invite": r["invite"],
                          "creator": r["creator"]} for rid, r in STATE["rooms"].items()]
                return self.reply(200, {"rooms": rooms})
            if parts[:2] == ["_test", "rooms"] and len(parts) == 4 and parts[3] == "events":
                room = STATE["rooms"].get(parts[2])
                if room is None:
                    return self.error(404, "M_NOT_FOUND", "no such room")
                return self.reply(200, {"events": room["events"]})
        self.error(404, "M_UNRECOGNIZED", "Unrecognized request")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        body = self.read_body()
        if url.path == "/_test/faults":
            with LOCK:
                request = json.loads(body)
                STATE["faults"].extend(request.get("faults", []))
                if "retry_after_ms" in request:
                    STATE["retry_after_ms"] = int(request["retry_after_ms"])
            return self.reply(200, {})
        if url.path == "/_matrix/client/v3/createRoom":
            token, user = self.authenticate(query)
            if user is None:
                return
            try:
                content = json.loads(body or b"{}")
                if not isinstance(content, dict):
                    raise ValueError
            except ValueError:
                return self.error(400, "M_NOT_JSON", "Content not JSON.")
            with LOCK:
                server = user.split(":", 1)[1]
                room_id = "!room%d:%s" % (STATE["next_room"], server)
                STATE["next_room"] += 1
                STATE["rooms"][room_id] = {"members": {user}, "events": [],
                                           "is_direct": bool(content.get("is_direct", False)),
                                           "invite": list(content.get("invite", [])), "creator": user}
            return self.reply(200, {"room_id": room_id})
        self.error(404, "M_UNRECOGNIZED", "Unrecognized request")

    def do_PUT(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        body = self.read_body()
        # _matrix client v3 rooms {roomId} send {eventType} {txnId}
        if len(parts) != 8 or parts[:4] != ["_matrix", "client", "v3", "rooms"] or parts[5] != "send":
            return self.error(404, "M_UNRECOGNIZED", "Unrecognized request")
        room_id, event_type, txn_id = parts[4], parts[6], parts[7]
        token, user = self.authenticate(query)
        if user is None:
            return
        with LOCK:
            fault = STATE["faults"].pop(0) if STATE["faults"] else None
            retry_after_ms = STATE["retry_after_ms"]
        if fault == "drop_before":
            return self.drop()
        if fault == "429":
            # Spec v1.10 "Rate limiting": 429 M_LIMIT_EXCEEDED, Retry-After header
            # (seconds) and the deprecated retry_after_ms in the body.
            return self.error(429, "M_LIMIT_EXCEEDED", "Too Many Requests",
                              {"Retry-After": str(max(1, (retry_after_ms + 999) // 1000))},
                              {"retry_after_ms": retry_after_ms})
        if fault == "500":
            return self.error(500, "M_UNKNOWN", "Internal server error")
        try:
            content = json.loads(body)
            if not isinstance(content, dict):
                raise ValueError
        except ValueError:
            return self.error(400, "M_NOT_JSON", "Content not JSON.")
        with LOCK:
            room = STATE["rooms"].get(room_id)
            if room is None or user not in room["members"]:
                return self.error(403, "M_FORBIDDEN", "User %s not in room %s" % (user, room_id))
            key = (token, room_id, event_type, txn_id)
            event_id = STATE["txns"].get(key)
            if event_id is None:
                event_id = "$event%d" % STATE["next_event"]
                STATE["next_event"] += 1
                STATE["txns"][key] = event_id
                room["events"].append({"event_id": event_id, "type": event_type, "sender": user,
                                       "txn_id": txn_id, "content": content})
        if fault == "drop":
            return self.drop()
        if fault == "stall":
            self.close_connection = True
            self.connection.settimeout(60)
            try:
                self.connection.recv(1)  # returns once the client closed (or sent more)
            except OSError:
                pass
            return
        self.reply(200, {"event_id": event_id})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user", default="@vigie:test.invalid")
    parser.add_argument("--token", required=True, help="the access token of --user")
    parser.add_argument("--room", action="append", default=[], help="a room --user has joined")
    args = parser.parse_args()
    STATE["tokens"][args.token] = args.user
    for room in args.room:
        STATE["rooms"][room] = {"members": {args.user}, "events": [], "is_direct": False, "invite": [],
                                "creator": args.user}
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("listening on http://127.0.0.1:%d" % server.server_address[1], file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
