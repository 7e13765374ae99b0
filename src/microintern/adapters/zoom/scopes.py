"""The Zoom scopes microintern's Server-to-Server OAuth app needs (granular scopes), and why.

Zoom checks them per endpoint; an app made before granular scopes has the classic
``meeting:write:admin`` / ``meeting:read:admin`` instead, which cover the same calls.
"""

from __future__ import annotations

SCOPES: dict[str, str] = {
    "meeting:write:meeting:admin": "create each session's meeting (POST /users/{userId}/meetings)",
    "meeting:update:meeting:admin": "keep the meeting in line with the Sessions tab "
                                    "(PATCH /meetings/{meetingId})",
    "meeting:read:meeting:admin": "read the meeting's join link after an update (GET /meetings/{meetingId})",
    "meeting:delete:meeting:admin": "delete the meeting of a cancelled session "
                                    "(DELETE /meetings/{meetingId})",
    "meeting:read:list_meetings:admin": "find a meeting whose create answer was lost, by the session "
                                        "tag in its topic (GET /users/{userId}/meetings)",
    "meeting:write:registrant:admin": "register each placed student for their session's meeting: one "
                                      "join link each, in their own letters only "
                                      "(POST /meetings/{meetingId}/registrants)",
    "meeting:read:list_registrants:admin": "find the students registered already, so nobody is "
                                           "registered twice (GET /meetings/{meetingId}/registrants)",
    "meeting:update:registrant_status:admin": "cancel a student no longer placed in the session, so "
                                              "their own join link stops working "
                                              "(PUT /meetings/{meetingId}/registrants/status)",
    "meeting:read:list_past_instances:admin": "the meetings a recurring session held "
                                              "(GET /past_meetings/{meetingId}/instances)",
    "meeting:read:list_past_participants:admin": "attendance: join and leave times per participant "
                                                 "(GET /past_meetings/{meetingUUID}/participants; "
                                                 "Pro plans and up)",
}
