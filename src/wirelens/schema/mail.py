"""Tables of the mail and file-transfer dissectors: smtp, imap, pop3, ftp.

Four tables rather than one shared command table: SMTP rows are mail transactions (Zeek
``smtp.log``: sender, recipients, message header fields), FTP rows carry data channels
(Zeek ``ftp.log``), and only IMAP and POP3 rows have the same shape, which the helper
:func:`_mailbox_fields` shares. Each schema is ``key_fields`` plus one field per event field
of the dissector (same names, same order).
"""

from __future__ import annotations

import pyarrow as pa

from wirelens.schema.fields import f, key_fields

__all__ = ["FTP", "IMAP", "POP3", "SMTP", "TABLES"]


def _credential_fields(what: str) -> list[pa.Field]:
    return [
        f("user", pa.string(), f"User name {what}."),
        f(
            "password",
            pa.string(),
            "Password seen in clear text: '<redacted>' unless the run shows passwords.",
        ),
        f(
            "credentials_clear",
            pa.bool_(),
            "A password crossed the connection in clear text (base64 included).",
        ),
    ]


SMTP = pa.schema(
    key_fields("Time of the MAIL command (or of the connection's first payload for a session row).")
    + [
        f("trans_depth", pa.uint32(), "Position of the row in the connection (1-based)."),
        f("banner", pa.string(), "Greeting text after the 220 code (RFC 5321 section 4.3.1)."),
        f("helo", pa.string(), "Name given in EHLO or HELO."),
        f(
            "mail_from",
            pa.string(),
            "Reverse-path of MAIL FROM without brackets; null for a session-only row.",
        ),
        f("rcpt_to", pa.list_(pa.string()), "Forward-paths of the RCPT TO commands, in order."),
        f("date", pa.string(), "Date header field of the message (RFC 5322 section 3.6.1)."),
        f("header_from", pa.string(), "From header field of the message."),
        f("header_to", pa.string(), "To header field of the message."),
        f("subject", pa.string(), "Subject header field of the message."),
        f("msg_id", pa.string(), "Message-ID header field of the message."),
        f(
            "last_reply_code",
            pa.uint16(),
            "Code of the last reply of the transaction (or session).",
        ),
        f(
            "last_reply_code_name",
            pa.string(),
            "Readable twin of last_reply_code (OK, START_MAIL_INPUT, ...).",
        ),
        f("last_reply_msg", pa.string(), "Text of that reply."),
        f("tls", pa.bool_(), "STARTTLS was accepted: the rest of the connection is TLS."),
        f(
            "auth_mechanisms_offered",
            pa.list_(pa.string()),
            "SASL mechanisms of the EHLO AUTH keyword (RFC 4954).",
        ),
        f("auth_mechanism", pa.string(), "Mechanism of the client's AUTH command."),
        f(
            "auth_success",
            pa.bool_(),
            "AUTH answered 235 (true) or failed (false); null without an outcome.",
        ),
    ]
    + _credential_fields("revealed by AUTH PLAIN/LOGIN (CRAM-MD5 names it too)")
)

FTP = pa.schema(
    key_fields("Time of the command.")
    + [
        f("banner", pa.string(), "Greeting text after the 220 code."),
        f("user", pa.string(), "Argument of the last USER command."),
        f(
            "password",
            pa.string(),
            "PASS argument on the PASS row: '<redacted>' unless the run shows passwords.",
        ),
        f("command", pa.string(), "Command verb, upper case (RFC 959 section 4.1)."),
        f("arg", pa.string(), "Command argument (PASS's redacted)."),
        f("reply_code", pa.uint16(), "Code of the final reply (1yz preliminary replies skipped)."),
        f(
            "reply_code_name",
            pa.string(),
            "Readable twin of reply_code (LOGGED_IN, ENTERING_PASSIVE, ...).",
        ),
        f("reply_msg", pa.string(), "Text of that reply."),
        f(
            "data_channel_passive",
            pa.bool_(),
            "A data channel was announced: true by PASV/EPSV, false by PORT/EPRT.",
        ),
        f(
            "data_channel_resp_h",
            pa.string(),
            "Address the data connection goes to (null for EPSV: the control resp_h). "
            "Its originator is the control orig_h when passive, resp_h when active.",
        ),
        f("data_channel_resp_p", pa.uint16(), "Port the data connection goes to."),
        f(
            "credentials_clear",
            pa.bool_(),
            "USER/PASS credentials crossed the connection in clear text (from PASS on).",
        ),
        f(
            "tls",
            pa.bool_(),
            "AUTH TLS/SSL was accepted (RFC 4217): the rest of the connection is TLS.",
        ),
        f(
            "command_truncated",
            pa.bool_(),
            "The command line was longer than 4,096 bytes: its argument is cut short (a weird "
            "ftp_limit_exceeded says so once per connection).",
        ),
        f(
            "reply_truncated",
            pa.bool_(),
            "A line of the reply was longer than 4,096 bytes: reply_msg is cut short.",
        ),
    ]
)


def _mailbox_fields(status_doc: str) -> list[pa.Field]:
    return [
        f("status", pa.string(), status_doc),
        f("status_msg", pa.string(), "Text after the status."),
        f(
            "auth_mechanisms_offered",
            pa.list_(pa.string()),
            "SASL mechanisms the server offered, as known at this row.",
        ),
        f("auth_mechanism", pa.string(), "Mechanism of the last SASL authentication command."),
    ]


IMAP = pa.schema(
    key_fields("Time of the command.")
    + [
        f("banner", pa.string(), "Greeting text (* OK / * PREAUTH)."),
        f("tag", pa.string(), "Command tag chosen by the client."),
        f("command", pa.string(), "Command name, upper case (UID FETCH is UID)."),
        f("arg", pa.string(), "Arguments (LOGIN and AUTHENTICATE credentials redacted)."),
    ]
    + _mailbox_fields("Tagged status: OK, NO or BAD (RFC 9051 section 7.1).")
    + _credential_fields("of LOGIN, or revealed by AUTHENTICATE PLAIN/LOGIN")
    + [f("tls", pa.bool_(), "STARTTLS was accepted: the rest of the connection is TLS.")]
)

POP3 = pa.schema(
    key_fields("Time of the command.")
    + [
        f("banner", pa.string(), "Greeting text after +OK (RFC 1939 section 4)."),
        f("command", pa.string(), "Command keyword, upper case."),
        f("arg", pa.string(), "Arguments (PASS's and AUTH's initial response redacted)."),
    ]
    + _mailbox_fields("+OK or -ERR (RFC 1939 section 3).")
    + _credential_fields("of USER/APOP, or revealed by AUTH PLAIN/LOGIN")
    + [f("tls", pa.bool_(), "STLS was accepted (RFC 2595): the rest of the connection is TLS.")]
)

TABLES: dict[str, tuple[pa.Schema, str]] = {
    "smtp": (
        SMTP,
        "One row per SMTP mail transaction (or session without one), with the session's facts.",
    ),
    "ftp": (FTP, "One row per FTP control command with its final reply."),
    "imap": (IMAP, "One row per tagged IMAP command with its tagged status."),
    "pop3": (POP3, "One row per POP3 command with its status line."),
}
