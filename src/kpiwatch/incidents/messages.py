"""What a notification says: the webhook JSON, the Slack message, the e-mail.

Channels are the team's: they get the incident as the API renders it and a link to the
console. Subscribers are the public: they get the public fields and a link to the status
page, plus their unsubscribe link. Times in text are in the tenant's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
PUBLIC_FIELDS = (
    "id",
    "title",
    "description",
    "status",
    "severity",
    "affected_services",
    "created_at",
    "updated_at",
    "resolved_at",
    "resolution_time",
)


@dataclass(frozen=True)
class Context:
    """Everything a message needs besides the payload."""

    event: str
    delivery_id: int
    tenant_slug: str
    tenant_name: str
    zone: ZoneInfo
    base_url: str
    now: datetime
    subscriber: bool
    links: dict[str, str]


def _time(value: str | None, zone: ZoneInfo) -> str:
    if not value:
        return ""
    at = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)
    return at.strftime("%Y-%m-%d %H:%M %Z")


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def status_page_url(ctx: Context) -> str:
    return f"{ctx.base_url}/status/{ctx.tenant_slug}"


def incident_url(ctx: Context, incident: dict[str, Any]) -> str:
    if ctx.subscriber:
        return status_page_url(ctx)
    return f"{ctx.base_url}/incidents/{incident['id']}"


def headline(ctx: Context, incident: dict[str, Any]) -> str:
    status = STATUS_WORDS.get(incident["status"], incident["status"])
    prefix = "New incident" if ctx.event == "incident.created" else status
    if ctx.subscriber:
        return f"{prefix}: {incident['title']}"
    return f"[{incident['priority']}] {prefix}: {incident['title']}"


def webhook_body(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event": ctx.event,
        "delivery": ctx.delivery_id,
        "timestamp": _iso(ctx.now),
        "tenant": ctx.tenant_slug,
    }
    if ctx.event == "subscription.confirm":
        body["message"] = (
            f"Confirm this webhook's subscription to {ctx.tenant_name} status updates by "
            "requesting confirmUrl; verify later deliveries with secret (see docs)."
        )
        return body | ctx.links
    incident = payload["incident"]
    if ctx.subscriber:
        incident = {k: incident.get(k) for k in PUBLIC_FIELDS}
    body.update(incident=incident, update=payload.get("update"), url=incident_url(ctx, incident))
    if ctx.subscriber:
        body["unsubscribeUrl"] = ctx.links["unsubscribeUrl"]
    return body


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (the notification's fallback) and
    ``blocks`` (header, facts, the update's note, who and when)."""
    incident, update = payload["incident"], payload.get("update") or {}
    title = headline(ctx, incident)
    services = ", ".join(incident["affected_services"]) or "—"
    url = incident_url(ctx, incident)
    facts = [
        f"*Status*\n{STATUS_WORDS.get(incident['status'], incident['status'])}",
        f"*Priority*\n{incident['priority']} ({incident['severity']})",
        f"*Affected services*\n{_slack_escape(services)}",
        f"*Incident*\n<{url}|{incident['id']}>",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in facts]},
    ]
    if update.get("description"):
        note = _slack_escape(update["description"])[:2900]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": note}})
    when = _time(update.get("created_at") or incident["updated_at"], ctx.zone)
    author = _slack_escape(update.get("author") or incident.get("reporter") or "kpiwatch")
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{author} · {when}"}]}
    )
    return {"text": _slack_escape(title), "blocks": blocks}


def _incident_text(ctx: Context, payload: dict[str, Any]) -> str:
    incident, update = payload["incident"], payload.get("update") or {}
    status = STATUS_WORDS.get(incident["status"], incident["status"])
    lines = [incident["title"], "", f"Status: {status}"]
    if not ctx.subscriber:
        lines.append(f"Priority: {incident['priority']} (severity {incident['severity']})")
    if incident["affected_services"]:
        lines.append(f"Affected services: {', '.join(incident['affected_services'])}")
    lines.append(f"Opened: {_time(incident['created_at'], ctx.zone)}")
    if incident.get("resolution_time"):
        lines.append(f"Resolved in {incident['resolution_time']}")
    if update.get("description"):
        lines += ["", f"Update ({_time(update['created_at'], ctx.zone)}):", update["description"]]
    lines += ["", f"Details: {incident_url(ctx, incident)}"]
    return "\n".join(lines)


def email(ctx: Context, payload: dict[str, Any], sender: str, to: list[str]) -> EmailMessage:
    """The mail for ``to``; subscribers' mails carry ``List-Unsubscribe`` (RFC 2369) and the
    one-click ``List-Unsubscribe-Post`` (RFC 8058)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(ctx.now)
    message["Message-ID"] = make_msgid(f"delivery-{ctx.delivery_id}", "kpiwatch")
    message["Auto-Submitted"] = "auto-generated"
    if ctx.event == "subscription.confirm":
        message["Subject"] = f"Confirm your subscription to {ctx.tenant_name} status updates"
        text = (
            f"Someone (hopefully you) asked to receive {ctx.tenant_name} incident updates "
            f"at this address.\n\nConfirm the subscription:\n{ctx.links['confirmUrl']}\n\n"
            "If you did not ask for it, ignore this mail: nothing will be sent."
        )
    else:
        message["Subject"] = f"[{ctx.tenant_name}] {headline(ctx, payload['incident'])}"
        text = _incident_text(ctx, payload)
    if ctx.subscriber:
        leave = ctx.links["unsubscribeUrl"]
        message["List-Unsubscribe"] = f"<{leave}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        text += f"\n\n--\nUnsubscribe with one click: {leave}"
    message.set_content(text)
    return message
